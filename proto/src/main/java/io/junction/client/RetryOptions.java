package io.junction.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a channel retries an idempotent call that failed with {@code UNAVAILABLE}: up to
 * {@code maxAttempts} attempts in all, the n-th retry after a random pause below
 * {@code min(initialBackoff * multiplier^(n-1), maxBackoff)} (gRPC's retry policy, A6). One attempt
 * turns retries off. Transparent retries (an attempt that never reached the server's
 * application) happen whatever this says, for every method.
 *
 * @param maxAttempts    attempts in all, the first included: 1 to 5 (grpc-java caps it at 5)
 * @param initialBackoff the first retry's upper bound on its pause, over 0
 * @param maxBackoff     the cap on any pause, at least {@code initialBackoff}
 * @param multiplier     how much the bound grows from one retry to the next, at least 1
 */
public record RetryOptions(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {
  /** grpc-java's own ceiling on attempts: a higher maxAttempts would silently mean 5. */
  public static final int MAX_ATTEMPTS = 5;

  /**
   * Four attempts, 50 ms growing by 2 to at most 1 s: enough to ride out a replica that goes
   * away (the next attempt goes to another address) without turning one outage into a storm.
   */
  public static final RetryOptions DEFAULT = new RetryOptions(4, Duration.ofMillis(50), Duration.ofSeconds(1), 2.0);

  /** No retries beyond gRPC's transparent ones. */
  public static final RetryOptions NONE = new RetryOptions(1, Duration.ofMillis(50), Duration.ofMillis(50), 1.0);

  public RetryOptions {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
      throw new IllegalArgumentException("retry.maxAttempts: " + maxAttempts
          + " (expected: 1 to " + MAX_ATTEMPTS + ", grpc-java's ceiling; 1 turns retries off)");
    }
    if (initialBackoff.isNegative() || initialBackoff.isZero()) {
      throw new IllegalArgumentException("retry.initialBackoff: " + initialBackoff + " (expected: over 0)");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("retry.maxBackoff: " + maxBackoff
          + " (expected: at least retry.initialBackoff, " + initialBackoff + ")");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("retry.multiplier: " + multiplier + " (expected: a finite number >= 1)");
    }
  }

  /** Whether a retry policy applies at all. */
  public boolean enabled() {
    return maxAttempts > 1;
  }
}
