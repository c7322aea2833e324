package io.junction.workers.serving;

/**
 * A call failed because a test turned the worker's {@link FaultSwitch} on. Deliberate, so
 * without a stack trace.
 */
public final class FaultInjectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final FaultSwitch.Fault fault;

  FaultInjectedException(String what, FaultSwitch.Fault fault) {
    super(what + ": fault injected (" + fault + "; turn it off with WorkerControl.InjectFault NONE)", null, false,
        false);
    this.fault = fault;
  }

  /** The fault the switch was set to: how the call should fail. */
  public FaultSwitch.Fault fault() {
    return fault;
  }
}
