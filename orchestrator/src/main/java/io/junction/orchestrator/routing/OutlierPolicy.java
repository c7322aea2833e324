package io.junction.orchestrator.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * When a pool takes a replica out of routing for failing its calls, and for how long: a pool's
 * {@code outlier_ejection} block, validated here once. See {@link OutlierDetector}.
 *
 * @param enabled             false keeps every READY replica in routing whatever its calls do
 * @param consecutiveFailures failures in a row (the replica's fault) that eject it (>= 1)
 * @param failureRatePercent  1 to 100: a replica whose failed share of the calls in the window
 *                            exceeds it is ejected, once the window holds minCalls calls
 * @param minCalls            calls the window must hold before the rate counts (>= 1)
 * @param window              how far back the rate looks (>= 1 ms)
 * @param baseEjection        how long the first ejection lasts; each further one doubles it
 * @param maxEjection         the longest an ejection lasts (>= baseEjection); a replica that stays
 *                            in routing this long after an ejection starts again from baseEjection
 * @param probationCalls      calls a readmitted replica must answer before it counts as healthy;
 *                            one failure among them ejects it again (>= 1)
 */
public record OutlierPolicy(boolean enabled, int consecutiveFailures, int failureRatePercent, int minCalls,
    Duration window, Duration baseEjection, Duration maxEjection, int probationCalls) {

  /** Sane defaults, as Envoy's outlier detection has them: 5 in a row, or half of 20 calls in 10 s. */
  public static final OutlierPolicy DEFAULT = new OutlierPolicy(true, 5, 50, 20, Duration.ofSeconds(10),
      Duration.ofSeconds(10), Duration.ofMinutes(2), 3);

  /** Never ejects. */
  public static final OutlierPolicy DISABLED = new OutlierPolicy(false, 5, 50, 20, Duration.ofSeconds(10),
      Duration.ofSeconds(10), Duration.ofMinutes(2), 3);

  /** @throws IllegalArgumentException naming the setting, its value and what was expected */
  public OutlierPolicy {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(baseEjection, "baseEjection");
    Objects.requireNonNull(maxEjection, "maxEjection");
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException("consecutive_failures: " + consecutiveFailures + " (expected: >= 1)");
    }
    if (failureRatePercent < 1 || failureRatePercent > 100) {
      throw new IllegalArgumentException("failure_rate_percent: " + failureRatePercent + " (expected: 1 to 100)");
    }
    if (minCalls < 1) {
      throw new IllegalArgumentException("min_calls: " + minCalls + " (expected: >= 1)");
    }
    if (window.toMillis() < 1) {
      throw new IllegalArgumentException("window_ms: " + window.toMillis() + " (expected: >= 1)");
    }
    if (baseEjection.toMillis() < 1) {
      throw new IllegalArgumentException("base_ejection_ms: " + baseEjection.toMillis() + " (expected: >= 1)");
    }
    if (maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("max_ejection_ms: " + maxEjection.toMillis() + " (expected: >= base_ejection_ms, "
          + baseEjection.toMillis() + ")");
    }
    if (probationCalls < 1) {
      throw new IllegalArgumentException("probation_calls: " + probationCalls + " (expected: >= 1)");
    }
  }
}
