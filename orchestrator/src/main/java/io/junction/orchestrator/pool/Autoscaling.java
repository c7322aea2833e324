package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How a local pool grows and shrinks between {@code minReplicas} and {@code maxReplicas}: one
 * replica more when its queue has stayed above {@code upscaleQueue} calls at every check for
 * {@code upscaleAfter}; one fewer when, for {@code downscaleAfter} (the cool-down), nothing
 * queued and the calls in flight would have fitted in one replica fewer. The names follow Ray
 * Serve's {@code autoscaling_config} (upscale_delay_s, downscale_delay_s) where the idea is the
 * same; the signal is our pool's own queue rather than a target of ongoing requests per replica,
 * because a call only queues here once every replica is at {@code max_in_flight}. Validated here
 * once.
 *
 * @param minReplicas    never fewer replicas (>= 1)
 * @param maxReplicas    never more (>= minReplicas)
 * @param upscaleQueue   calls waiting in the pool's queue above which the pool counts as queueing (>= 0)
 * @param upscaleAfter   how long it must queue, at every check, before a replica is added (>= checkInterval)
 * @param downscaleAfter the cool-down: how long it must have room to spare before a replica is drained and stopped
 *                       (>= checkInterval)
 * @param checkInterval  how often the pool's queue and calls in flight are sampled (>= 10 ms)
 */
public record Autoscaling(int minReplicas, int maxReplicas, int upscaleQueue, Duration upscaleAfter,
    Duration downscaleAfter, Duration checkInterval) {
  /** Queueing at all (more than 0 calls) for 10 s adds one. */
  public static final int DEFAULT_UPSCALE_QUEUE = 0;
  public static final Duration DEFAULT_UPSCALE_AFTER = Duration.ofSeconds(10);
  /** Five minutes of room to spare removes one: a worker JVM costs seconds to start again. */
  public static final Duration DEFAULT_DOWNSCALE_AFTER = Duration.ofMinutes(5);
  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(1);

  /** {@code minReplicas} to {@code maxReplicas} with the default policy. */
  public Autoscaling(int minReplicas, int maxReplicas) {
    this(minReplicas, maxReplicas, DEFAULT_UPSCALE_QUEUE, DEFAULT_UPSCALE_AFTER, DEFAULT_DOWNSCALE_AFTER,
        DEFAULT_CHECK_INTERVAL);
  }

  /** @throws IllegalArgumentException naming the setting, its value and what was expected */
  public Autoscaling {
    Objects.requireNonNull(upscaleAfter, "upscaleAfter");
    Objects.requireNonNull(downscaleAfter, "downscaleAfter");
    Objects.requireNonNull(checkInterval, "checkInterval");
    if (minReplicas < 1) {
      throw new IllegalArgumentException("min_replicas: " + minReplicas + " (expected: >= 1)");
    }
    if (maxReplicas < minReplicas) {
      throw new IllegalArgumentException("max_replicas: " + maxReplicas + " (expected: >= min_replicas, "
          + minReplicas + ")");
    }
    if (upscaleQueue < 0) {
      throw new IllegalArgumentException("upscale_queue: " + upscaleQueue + " (expected: >= 0)");
    }
    if (checkInterval.toMillis() < 10) {
      throw new IllegalArgumentException("check_interval_ms: " + checkInterval.toMillis() + " (expected: >= 10)");
    }
    if (upscaleAfter.compareTo(checkInterval) < 0) {
      throw new IllegalArgumentException("upscale_after_ms: " + upscaleAfter.toMillis()
          + " (expected: >= check_interval_ms, " + checkInterval.toMillis() + ")");
    }
    if (downscaleAfter.compareTo(checkInterval) < 0) {
      throw new IllegalArgumentException("downscale_after_ms: " + downscaleAfter.toMillis()
          + " (expected: >= check_interval_ms, " + checkInterval.toMillis() + ")");
    }
  }

  /** Whether {@code replicas} lies within the bounds. */
  public boolean allows(int replicas) {
    return replicas >= minReplicas && replicas <= maxReplicas;
  }
}
