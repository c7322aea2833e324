package io.junction.orchestrator.pool;

/**
 * A replica cannot be drained: it is not serving (already draining, stopped or failed), or it
 * is the last replica of its pool that can serve, so that draining it would leave the pool's
 * models unserved (FAILED_PRECONDITION: the same request fails again until the pool changes).
 */
public final class ReplicaDrainRefusedException extends PoolException {
  private static final long serialVersionUID = 1L;

  public ReplicaDrainRefusedException(String message) {
    super(message, null);
  }
}
