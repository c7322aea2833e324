package io.junction.orchestrator.routing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A pool's retry budget, a token bucket (as gRPC's retry throttling and Envoy's retry budget):
 * every call that is not a retry adds {@link RetryBudgetPolicy#ratio()} of a token, time adds
 * {@link RetryBudgetPolicy#minPerSecond()} tokens a second, and a retry takes one whole token or
 * is refused. The bucket holds at most {@code minPerSecond + ratio × capacity} tokens, where
 * capacity is the calls the pool can have in flight at once: a healthy pool saves enough to retry
 * that share of its calls in flight when a replica dies with them (a burst), and no more, so
 * that a long quiet spell does not let a failing pool retry everything.
 *
 * <p>The hot path ({@link #onCall}) is one volatile read while the bucket is full, and one
 * compare-and-set otherwise; the retry path reads the clock ({@link LongSupplier}, nanoseconds,
 * injected for tests) and takes a lock, but retries are the rare path. Thread-safe.
 */
public final class RetryBudget {
  /** Tokens are counted in millionths, so that a ratio of 0.2 adds exactly 200,000. */
  private static final long UNIT = 1_000_000;

  private final long perCall;
  private final double perNano;
  private final long max;
  private final LongSupplier nanoTime;
  private final AtomicLong tokens;
  private final LongAdder retries = new LongAdder();
  private final LongAdder refused = new LongAdder();
  /** When time last added tokens. Guarded by this; read only on the retry path. */
  private long refilledAt;

  /**
   * @param capacity calls the pool can have in flight at once (its replicas × max_in_flight), >= 1
   * @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  public RetryBudget(RetryBudgetPolicy policy, int capacity, LongSupplier nanoTime) {
    this.perCall = Math.round(policy.ratio() * UNIT);
    this.perNano = policy.minPerSecond() * UNIT / TimeUnit.SECONDS.toNanos(1);
    this.max = Math.round((policy.minPerSecond() + policy.ratio() * Math.max(1, capacity)) * UNIT);
    this.nanoTime = nanoTime;
    this.tokens = new AtomicLong(max);
    this.refilledAt = nanoTime.getAsLong();
  }

  /** A call that is not a retry was made: it earns its share of a retry. Any thread. */
  public void onCall() {
    if (perCall == 0) {
      return;
    }
    long t = tokens.get();
    if (t < max) {
      // One try: a lost race means another call added its share meanwhile; losing one share
      // of a token now and then errs on the side of fewer retries.
      tokens.compareAndSet(t, Math.min(max, t + perCall));
    }
  }

  /** Takes a token for a retry; false (and counted as refused) when the bucket has none. Any thread. */
  public boolean tryRetry() {
    refill();
    while (true) {
      long t = tokens.get();
      if (t < UNIT) {
        refused.increment();
        return false;
      }
      if (tokens.compareAndSet(t, t - UNIT)) {
        retries.increment();
        return true;
      }
    }
  }

  private synchronized void refill() {
    long now = nanoTime.getAsLong();
    long earned = (long) ((now - refilledAt) * perNano);
    if (earned <= 0) {
      return; // less than a millionth of a token: keep refilledAt, so that slow refills still add up
    }
    refilledAt = now;
    tokens.accumulateAndGet(earned, (t, e) -> Math.min(max, t + e));
  }

  /** Retries allowed so far. */
  public long retries() {
    return retries.sum();
  }

  /** Retries refused because the bucket was empty. */
  public long refused() {
    return refused.sum();
  }

  /** Whole tokens in the bucket now, before time adds any (for status and tests). */
  public double tokens() {
    return tokens.get() / (double) UNIT;
  }
}
