package io.junction.workers.serving;

/** A queued call was dropped without running because its caller had gone: deadline passed or cancelled. */
public class CallAbandonedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason { DEADLINE_EXCEEDED, CANCELLED }

  private final Reason reason;

  public CallAbandonedException(Reason reason) {
    super(reason == Reason.DEADLINE_EXCEEDED
        ? "deadline: passed while the call was queued (expected: a deadline that leaves time for the queue)"
        : "call: cancelled by the client while queued");
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
