package io.junction.orchestrator.pool;

/** The pool has no replica that can take the call now (UNAVAILABLE: retry later). */
public final class NoReadyReplicaException extends PoolException {
  private static final long serialVersionUID = 1L;

  public NoReadyReplicaException(String pool, String detail) {
    super("pool " + pool + ": no ready replica (" + detail + ")");
  }
}
