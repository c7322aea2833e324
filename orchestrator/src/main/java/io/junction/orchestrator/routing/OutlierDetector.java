package io.junction.orchestrator.routing;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Decides, from one replica's call outcomes, when it should leave routing and when it may come
 * back (outlier ejection, as Envoy's): {@code consecutiveFailures} failures in a row, or a failed
 * share above {@code failureRate} of at least {@code minCalls} calls in a sliding window, eject it
 * for an ejection time that doubles with each ejection up to {@code maxEjection}; then it is
 * readmitted on probation, where one failure ejects it again and {@code probationCalls} answers
 * make it healthy.
 *
 * <p>Only decides: the caller counts only failures that are the replica's fault, asks its pool
 * whether the replica may leave (never the last one that can serve), applies the decision with
 * {@link #eject} or {@link #spare}, and runs the timer that calls {@link #readmit}. Time is passed
 * in (nanoseconds, as {@link System#nanoTime()}), so tests need no clock. Thread-safe: calls
 * complete on any event loop; {@link #isEjected} is a lock-free read for the routing path.
 */
public final class OutlierDetector {
  /** The window is kept as this many buckets of counts: old calls leave it a tenth at a time. */
  private static final int BUCKETS = 10;
  private static final long NO_BUCKET = Long.MIN_VALUE;

  /** Where the replica stands. */
  public enum Phase {
    /** In routing, counted. */
    ACTIVE,
    /** Out of routing until readmitted. */
    EJECTED,
    /** Back in routing; its next calls decide whether it stays. */
    PROBATION
  }

  /** What one outcome calls for. */
  public enum Verdict {
    /** Nothing changes. */
    NONE,
    /** The replica should leave routing: ask the pool, then {@link #eject} or {@link #spare}. */
    EJECT,
    /** A replica on probation answered enough calls: it is healthy again. */
    HEALTHY
  }

  private final OutlierPolicy policy;
  private final long bucketNanos;
  private volatile Phase phase = Phase.ACTIVE;

  @GuardedBy("this") private final long[] bucketIndex = new long[BUCKETS];
  @GuardedBy("this") private final int[] calls = new int[BUCKETS];
  @GuardedBy("this") private final int[] failures = new int[BUCKETS];
  @GuardedBy("this") private int consecutive;
  @GuardedBy("this") private int probationLeft;
  @GuardedBy("this") private int ejections;
  @GuardedBy("this") private long readmittedAt;
  @GuardedBy("this") private boolean everReadmitted;
  @GuardedBy("this") private String wantReason = "";
  private volatile String reason = "";
  private volatile long ejectedUntil;

  public OutlierDetector(OutlierPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.bucketNanos = Math.max(1, policy.window().toNanos() / BUCKETS);
    Arrays.fill(bucketIndex, NO_BUCKET);
  }

  /** True while out of routing. Lock-free. */
  public boolean isEjected() {
    return phase == Phase.EJECTED;
  }

  public Phase phase() {
    return phase;
  }

  /** Why it was last ejected ("5 failures in a row, last: UNAVAILABLE ..."), empty if never. */
  public String reason() {
    return reason;
  }

  /** When the current ejection ends (nanoseconds), meaningful while {@link #isEjected}. */
  public long ejectedUntil() {
    return ejectedUntil;
  }

  /** A call the replica answered (or failed for the user's reasons, which say nothing of it). */
  public synchronized Verdict onSuccess(long now) {
    if (!policy.enabled() || phase == Phase.EJECTED) {
      return Verdict.NONE;
    }
    consecutive = 0;
    bucket(now);
    calls[slot(now)]++;
    if (phase == Phase.PROBATION && --probationLeft <= 0) {
      phase = Phase.ACTIVE;
      clearWindow();
      return Verdict.HEALTHY;
    }
    return Verdict.NONE;
  }

  /**
   * A call that failed through the replica's fault.
   *
   * @param what the failure, for the reason given when this ejects
   */
  public synchronized Verdict onFailure(long now, String what) {
    if (!policy.enabled() || phase == Phase.EJECTED) {
      return Verdict.NONE;
    }
    consecutive++;
    bucket(now);
    int s = slot(now);
    calls[s]++;
    failures[s]++;
    if (phase == Phase.PROBATION) {
      wantReason = "failed on probation: " + what;
      return Verdict.EJECT;
    }
    if (consecutive >= policy.consecutiveFailures()) {
      wantReason = consecutive + " failures in a row, last: " + what;
      return Verdict.EJECT;
    }
    int total = 0;
    int failed = 0;
    long current = Math.floorDiv(now, bucketNanos);
    for (int i = 0; i < BUCKETS; i++) {
      if (bucketIndex[i] != NO_BUCKET && current - bucketIndex[i] < BUCKETS) {
        total += calls[i];
        failed += failures[i];
      }
    }
    if (total >= policy.minCalls() && failed * 100L > (long) policy.failureRatePercent() * total) {
      wantReason = String.format(Locale.ROOT, "%d of %d calls failed in %d ms (limit %d%%), last: %s", failed, total,
          policy.window().toMillis(), policy.failureRatePercent(), what);
      return Verdict.EJECT;
    }
    return Verdict.NONE;
  }

  /**
   * Takes the replica out of routing after {@link Verdict#EJECT}.
   *
   * @return how long it stays out: the base time, doubled for each ejection before it, capped
   */
  public synchronized Duration eject(long now) {
    if (everReadmitted && phase == Phase.ACTIVE && now - readmittedAt >= policy.maxEjection().toNanos()) {
      ejections = 0; // it behaved for a long time: this is a new episode, not a repeat
    }
    ejections++;
    long base = policy.baseEjection().toNanos();
    long max = policy.maxEjection().toNanos();
    long nanos = Math.min(base, max);
    for (int i = 1; i < ejections && nanos < max; i++) {
      nanos = nanos > max / 2 ? max : nanos * 2;
    }
    phase = Phase.EJECTED;
    reason = wantReason;
    ejectedUntil = now + nanos;
    consecutive = 0;
    clearWindow();
    return Duration.ofNanos(nanos);
  }

  /**
   * Keeps the replica in routing after {@link Verdict#EJECT} because its pool cannot spare it:
   * counting starts afresh, so it asks again only after as many failures again.
   */
  public synchronized void spare() {
    consecutive = 0;
    clearWindow();
  }

  /** Ends an ejection: back in routing on probation. False when it was not ejected. */
  public synchronized boolean readmit(long now) {
    if (phase != Phase.EJECTED) {
      return false;
    }
    phase = Phase.PROBATION;
    probationLeft = policy.probationCalls();
    readmittedAt = now;
    everReadmitted = true;
    return true;
  }

  /** Ejections so far in this episode. */
  public synchronized int ejections() {
    return ejections;
  }

  @GuardedBy("this")
  private void bucket(long now) {
    long index = Math.floorDiv(now, bucketNanos);
    int s = slot(now);
    if (bucketIndex[s] != index) {
      bucketIndex[s] = index;
      calls[s] = 0;
      failures[s] = 0;
    }
  }

  private int slot(long now) {
    return (int) Math.floorMod(Math.floorDiv(now, bucketNanos), (long) BUCKETS);
  }

  @GuardedBy("this")
  private void clearWindow() {
    Arrays.fill(bucketIndex, NO_BUCKET);
    Arrays.fill(calls, 0);
    Arrays.fill(failures, 0);
  }
}
