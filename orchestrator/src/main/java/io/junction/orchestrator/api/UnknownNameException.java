package io.junction.orchestrator.api;

/**
 * The Open Inference Protocol named something that is neither a pipeline nor a model
 * (NOT_FOUND). The message lists both kinds of name, since the client may mean either.
 */
final class UnknownNameException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UnknownNameException(String message) {
    super(message, null, false, false);
  }
}
