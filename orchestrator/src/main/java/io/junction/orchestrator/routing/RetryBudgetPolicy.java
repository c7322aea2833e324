package io.junction.orchestrator.routing;

/**
 * How many retries a pool allows, so that a failing pool cannot cause a retry storm: a pool's
 * {@code retry_budget} block, validated here once. See {@link RetryBudget}.
 *
 * @param ratio        0 to 1: each call that is not a retry adds this much of a retry to the
 *                     pool's bucket (0.2: retries add at most a fifth of the pool's calls)
 * @param minPerSecond 0 to 10,000: retries the bucket earns every second whatever the traffic, so
 *                     that a quiet pool can still retry
 */
public record RetryBudgetPolicy(double ratio, double minPerSecond) {

  /** As gRPC's retryThrottling and Envoy's retry budget suggest: a fifth of the calls, and 10 a second. */
  public static final RetryBudgetPolicy DEFAULT = new RetryBudgetPolicy(0.2, 10);

  /** @throws IllegalArgumentException naming the setting, its value and what was expected */
  public RetryBudgetPolicy {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("retry_budget.ratio: " + ratio + " (expected: 0 to 1)");
    }
    if (!(minPerSecond >= 0 && minPerSecond <= 10_000)) {
      throw new IllegalArgumentException("retry_budget.min_per_second: " + minPerSecond + " (expected: 0 to 10000)");
    }
  }
}
