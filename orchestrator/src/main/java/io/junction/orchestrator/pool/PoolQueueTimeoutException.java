package io.junction.orchestrator.pool;

/**
 * A call's deadline passed while it waited in its pool's queue for a free replica
 * (DEADLINE_EXCEEDED, like a step that ran out of time): it was never sent.
 */
public final class PoolQueueTimeoutException extends PoolException {
  private static final long serialVersionUID = 1L;

  public PoolQueueTimeoutException(String pool, String detail) {
    super("pool " + pool + ": the deadline passed while the call waited for a free replica (" + detail + ")");
  }
}
