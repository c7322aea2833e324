package io.junction.orchestrator.api;

/**
 * The orchestrator is shutting down and takes no new work: a call that arrives, or a Chat
 * stream's turn read, after the drain began. UNAVAILABLE, so that clients retry elsewhere.
 */
public final class ServerDrainingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ServerDrainingException(String what) {
    super(what + ": refused, the server is draining (expected: retry on another orchestrator; "
        + "calls accepted before the drain still finish)", null, false, false);
  }
}
