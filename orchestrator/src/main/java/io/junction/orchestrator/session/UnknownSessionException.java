package io.junction.orchestrator.session;

/**
 * A session id that no live session has: never used, ended, expired after its idle time or
 * evicted (NOT_FOUND). Only operations on an existing session throw it; a conversation's turn
 * with an unknown id starts a new session instead.
 */
public final class UnknownSessionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnknownSessionException(String id) {
    super("session_id: \"" + id + "\" (expected: a live session; a session is gone once ended, after"
        + " sessions.idle_ttl_ms without use, or when evicted as the least recently used)", null, false, false);
  }
}
