package io.junction.orchestrator.pool;

/** Base of the pool package's typed errors; the API's StatusMapper maps each subclass. */
public abstract class PoolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected PoolException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * For flow control (saturated, no ready replica): answers, not faults, made on the hot path
   * under load, so they skip the stack trace (which says nothing here) and suppression, as
   * gRPC's own StatusException can.
   */
  protected PoolException(String message) {
    super(message, null, false, false);
  }
}
