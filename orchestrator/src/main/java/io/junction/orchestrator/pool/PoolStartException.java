package io.junction.orchestrator.pool;

/** A pool could not start: names the pool, the replica and the reason (for example the worker's own error). */
public final class PoolStartException extends Exception {
  private static final long serialVersionUID = 1L;

  public PoolStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
