package io.junction.workers.serving;

/**
 * The worker is draining or stopped and takes no new calls; another replica should. Flow
 * control, not a fault, so without a stack trace.
 */
public class WorkerDrainingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WorkerDrainingException(String what) {
    super(what + ": refused, the worker is draining (expected: a call to another replica)", null, false, false);
  }
}
