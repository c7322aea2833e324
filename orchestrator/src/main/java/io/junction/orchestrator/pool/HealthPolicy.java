package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How gently a pool judges its replicas' health probes: a READY replica leaves routing only
 * after {@code unhealthyAfter} failed probes in a row, a probe may take {@code probeTimeout}
 * (a loaded worker answers late, not never), and a local replica is killed (to be restarted)
 * only when its probes have failed for {@code killAfter} without a break: truly stuck, not
 * busy. A replica that has calls in flight and answers nothing at all for {@code stallAfter}
 * (stopped, frozen) is stalled: it leaves routing at once and its calls fail over
 * ({@link StallWatch}). Validated here once.
 *
 * @param probeTimeout   how long one ServerReady probe may take (>= 1 ms)
 * @param unhealthyAfter failed probes in a row that take a READY replica out of routing (>= 1)
 * @param killAfter      how long probes must have failed in a row before a local replica is killed (>= 1 ms)
 * @param stallAfter     how long a replica with calls in flight may answer nothing before it is stalled (>= 10 ms)
 */
public record HealthPolicy(Duration probeTimeout, int unhealthyAfter, Duration killAfter, Duration stallAfter) {
  /**
   * 1.5 s: far above a healthy worker's silence under load (it answers a call or a probe every few
   * milliseconds), and short enough that calls on a stalled one fail over with most of a
   * seconds-long deadline left.
   */
  public static final Duration DEFAULT_STALL_AFTER = Duration.ofMillis(1500);
  /** 5 s per probe, 3 failures to leave routing, 30 s of failures to be killed, stalled after 1.5 s. */
  public static final HealthPolicy DEFAULT =
      new HealthPolicy(Duration.ofSeconds(5), 3, Duration.ofSeconds(30), DEFAULT_STALL_AFTER);

  /** With the default {@link #DEFAULT_STALL_AFTER}. */
  public HealthPolicy(Duration probeTimeout, int unhealthyAfter, Duration killAfter) {
    this(probeTimeout, unhealthyAfter, killAfter, DEFAULT_STALL_AFTER);
  }

  /** @throws IllegalArgumentException naming the setting, its value and what was expected */
  public HealthPolicy {
    Objects.requireNonNull(probeTimeout, "probeTimeout");
    Objects.requireNonNull(killAfter, "killAfter");
    Objects.requireNonNull(stallAfter, "stallAfter");
    if (probeTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("probe_timeout_ms: " + probeTimeout.toMillis() + " (expected: >= 1)");
    }
    if (unhealthyAfter < 1) {
      throw new IllegalArgumentException("unhealthy_after: " + unhealthyAfter + " (expected: >= 1)");
    }
    if (killAfter.toMillis() < 1) {
      throw new IllegalArgumentException("kill_after_ms: " + killAfter.toMillis() + " (expected: >= 1)");
    }
    if (stallAfter.toMillis() < 10) {
      throw new IllegalArgumentException("stall_after_ms: " + stallAfter.toMillis() + " (expected: >= 10)");
    }
  }
}
