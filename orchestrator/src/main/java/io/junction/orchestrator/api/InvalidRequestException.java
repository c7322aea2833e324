package io.junction.orchestrator.api;

/**
 * A request field the services check themselves is wrong (INVALID_ARGUMENT). Deliberately not
 * an IllegalArgumentException: those also come from our own bugs, which must stay INTERNAL.
 */
final class InvalidRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
