package io.junction.orchestrator.admission;

/**
 * A request refused at the door because admission's capacity for its priority is taken:
 * RESOURCE_EXHAUSTED, so that the client backs off and retries. Nothing of the request ran. The
 * message names the limit and its setting. Without a stack trace: under overload these are
 * made by the thousand, and where they come from is always the same.
 */
public final class AdmissionRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Priority priority;

  AdmissionRejectedException(String message, Priority priority) {
    super(message, null, false, false);
    this.priority = priority;
  }

  /** The class of the refused request. */
  public Priority priority() {
    return priority;
  }
}
