package io.junction.workers.serving;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Test only: makes every user inference of the worker fail, so that tests can watch the
 * orchestrator eject a failing replica and take it back. It can be turned on only in a worker
 * started with {@code --allow-fault-injection} (or {@code -Djunction.allowFaultInjection=true}):
 * a production worker refuses, so no stray admin call can break it. Warm-up calls are never
 * failed (a worker must still become READY).
 */
public final class FaultSwitch {
  /** What an inference answers while the switch is on. */
  public enum Fault {
    /** Calls succeed: the switch is off. */
    NONE,
    /** Calls fail as a worker that cannot serve would: the caller may retry elsewhere. */
    UNAVAILABLE,
    /** Calls fail as a worker with a bug would. */
    INTERNAL
  }

  private final boolean allowed;
  private volatile Fault fault = Fault.NONE;
  private final AtomicLong failed = new AtomicLong();

  /** @param allowed whether this process was started with fault injection allowed */
  public FaultSwitch(boolean allowed) {
    this.allowed = allowed;
  }

  /** A switch that can never be turned on: the production default. */
  public static FaultSwitch refused() {
    return new FaultSwitch(false);
  }

  /**
   * Turns the fault on (or off, with {@link Fault#NONE}).
   *
   * @return the fault that was set before
   * @throws FaultInjectionRefusedException when this worker was not started with fault injection allowed
   */
  public Fault set(Fault next) {
    if (!allowed) {
      throw new FaultInjectionRefusedException();
    }
    Fault previous = fault;
    fault = next;
    return previous;
  }

  /** Calls failed by the switch so far. */
  public long failed() {
    return failed.get();
  }

  /**
   * Fails the call when the switch is on.
   *
   * @param what the call, for the message
   * @throws FaultInjectedException while a fault is set
   */
  void check(String what) {
    Fault f = fault;
    if (f != Fault.NONE) {
      failed.incrementAndGet();
      throw new FaultInjectedException(what, f);
    }
  }
}
