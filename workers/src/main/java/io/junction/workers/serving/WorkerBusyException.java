package io.junction.workers.serving;

/** The bounded queue of model calls is full. Capacity, not a fault: try another replica or later. */
public class WorkerBusyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WorkerBusyException(int queued, int capacity) {
    super("worker busy: " + queued + " calls queued (expected: fewer than " + capacity + ")");
  }
}
