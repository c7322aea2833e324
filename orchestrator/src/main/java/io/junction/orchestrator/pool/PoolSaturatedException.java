package io.junction.orchestrator.pool;

/**
 * Every READY replica of the pool is at its limit of calls in flight (RESOURCE_EXHAUSTED: the
 * pool is up but out of capacity; back off rather than retry at once, unlike
 * {@link NoReadyReplicaException}).
 */
public final class PoolSaturatedException extends PoolException {
  private static final long serialVersionUID = 1L;

  public PoolSaturatedException(String pool, String detail) {
    super("pool " + pool + ": at capacity (" + detail + ")");
  }
}
