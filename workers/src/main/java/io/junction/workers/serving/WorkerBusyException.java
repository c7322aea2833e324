package io.junction.workers.serving;

/**
 * The bounded queue of model calls is full. Capacity, not a fault: try another replica or later.
 * Made on the hot path under load, so without a stack trace (it would say nothing).
 */
public class WorkerBusyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WorkerBusyException(int queued, int capacity) {
    super("worker busy: " + queued + " calls queued (expected: fewer than " + capacity + ")", null, false, false);
  }
}
