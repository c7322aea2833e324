package io.junction.workers.serving;

/** Fault injection was asked of a worker that was not started with it allowed. */
public final class FaultInjectionRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  FaultInjectionRefusedException() {
    super("fault injection: not allowed (expected: a worker started with --allow-fault-injection or "
        + "-Djunction.allowFaultInjection=true; for tests only)", null, false, false);
  }
}
