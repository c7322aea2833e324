package io.junction.orchestrator.pool;

/**
 * A retry was not attempted because the pool's retry budget is spent: the call fails with the
 * failure it would have retried (its cause, whose status code the client gets) and says why it
 * was not retried.
 */
public final class RetryBudgetSpentException extends PoolException {
  private static final long serialVersionUID = 1L;

  public RetryBudgetSpentException(String pool, Throwable failure) {
    super(failure.getMessage() + " (not retried: retry budget of pool " + pool + " spent)", failure);
  }
}
