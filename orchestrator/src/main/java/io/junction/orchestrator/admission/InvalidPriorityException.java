package io.junction.orchestrator.admission;

/**
 * A request whose {@value Priority#HEADER} metadata names no priority: INVALID_ARGUMENT, the
 * client's mistake, refused before admission.
 */
public final class InvalidPriorityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidPriorityException(String value) {
    super(Priority.HEADER + ": \"" + (value.length() > 40 ? value.substring(0, 40) + "..." : value)
        + "\" (expected: " + Priority.expected() + ")", null, false, false);
  }
}
