package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How gently a pool judges its replicas' health probes: a READY replica leaves routing only
 * after {@code unhealthyAfter} failed probes in a row, a probe may take {@code probeTimeout}
 * (a loaded worker answers late, not never), and a local replica is killed (to be restarted)
 * only when its probes have failed for {@code killAfter} without a break: truly stuck, not
 * busy. Validated here once.
 *
 * @param probeTimeout   how long one ServerReady probe may take (>= 1 ms)
 * @param unhealthyAfter failed probes in a row that take a READY replica out of routing (>= 1)
 * @param killAfter      how long probes must have failed in a row before a local replica is killed (>= 1 ms)
 */
public record HealthPolicy(Duration probeTimeout, int unhealthyAfter, Duration killAfter) {
  /** 5 s per probe, 3 failures to leave routing, 30 s of failures to be killed. */
  public static final HealthPolicy DEFAULT = new HealthPolicy(Duration.ofSeconds(5), 3, Duration.ofSeconds(30));

  /** @throws IllegalArgumentException naming the setting, its value and what was expected */
  public HealthPolicy {
    Objects.requireNonNull(probeTimeout, "probeTimeout");
    Objects.requireNonNull(killAfter, "killAfter");
    if (probeTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("probe_timeout_ms: " + probeTimeout.toMillis() + " (expected: >= 1)");
    }
    if (unhealthyAfter < 1) {
      throw new IllegalArgumentException("unhealthy_after: " + unhealthyAfter + " (expected: >= 1)");
    }
    if (killAfter.toMillis() < 1) {
      throw new IllegalArgumentException("kill_after_ms: " + killAfter.toMillis() + " (expected: >= 1)");
    }
  }
}
