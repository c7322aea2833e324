package io.junction.orchestrator.pool;

/** Base of the pool package's typed errors; the API's StatusMapper maps each subclass. */
public abstract class PoolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected PoolException(String message, Throwable cause) {
    super(message, cause);
  }
}
