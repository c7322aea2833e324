package io.junction.orchestrator.pool;

/**
 * Whether one replica has stalled: it has calls in flight and has answered nothing at all (no
 * reply to any call, no event of a segment, no probe) for {@code stall_after_ms}. That is a
 * worker that is stopped (SIGSTOP), frozen or cut off while its connection stays open: nothing
 * else notices it, its calls would wait for their deadlines. A worker that is merely slow still
 * answers something (another call, a probe sent when it has been quiet for half the time), so it
 * is not stalled: the rule is "no answer at all while calls are outstanding", not "slow answers".
 *
 * <p>Cheap on the calls' path: an answer is one volatile write of the time ({@link #answered});
 * the decision ({@link #check}) runs on the pool's event thread, a few times per stall_after_ms,
 * and reads the replica's count of calls in flight there. Times are the pool scheduler's
 * nanoseconds, so tests decide on a fake clock.
 */
final class StallWatch {
  /** What {@link #check} found. */
  enum Verdict {
    /** Answering, or nothing asked of it. */
    FINE,
    /** Quiet for half of stall_after with calls in flight: ask it something (a probe) to tell slow from stalled. */
    QUIET,
    /** Quiet for stall_after with calls in flight. */
    STALLED
  }

  private final long stallAfterNanos;
  /** When the replica last answered anything; written by whichever thread got the answer. */
  private volatile long lastAnswer;
  // Event thread only.
  /** When a check first saw calls in flight (since the last check that saw none); -1 when it saw none. */
  private long busySince = -1;
  private long lastCheck = Long.MIN_VALUE;

  StallWatch(long stallAfterNanos, long now) {
    if (stallAfterNanos <= 0) {
      throw new IllegalArgumentException("stall_after: " + stallAfterNanos + " ns (expected: > 0)");
    }
    this.stallAfterNanos = stallAfterNanos;
    this.lastAnswer = now;
  }

  /** How often {@link #check} should run: often enough to notice a stall within a quarter of stall_after. */
  long checkIntervalNanos() {
    return Math.max(1_000_000L, stallAfterNanos / 4);
  }

  /** The replica answered something (a reply, an event, a probe). Any thread. */
  void answered(long now) {
    lastAnswer = now;
  }

  /**
   * Looks at the replica now, with {@code inFlight} calls outstanding. Event thread.
   *
   * <p>Quiet time counts from the later of its last answer and the first check that saw it busy,
   * so a replica idle for a while is not stalled by the first call it gets. A check that comes
   * late (the orchestrator itself paused: a GC, a starved machine) restarts the count instead of
   * blaming the replica for answers our own threads had no time to read.
   */
  Verdict check(long now, int inFlight) {
    boolean late = lastCheck != Long.MIN_VALUE && now - lastCheck > stallAfterNanos / 2;
    lastCheck = now;
    if (inFlight <= 0) {
      busySince = -1;
      return Verdict.FINE;
    }
    if (busySince < 0 || late) {
      busySince = now;
    }
    long quiet = quietNanos(now);
    if (quiet >= stallAfterNanos) {
      return Verdict.STALLED;
    }
    return quiet >= stallAfterNanos / 2 ? Verdict.QUIET : Verdict.FINE;
  }

  /** How long it has been quiet while busy, as {@link #check} counts it. Event thread. */
  long quietNanos(long now) {
    return busySince < 0 ? 0 : now - Math.max(lastAnswer, busySince);
  }

  /** Starts afresh (a new connection, a stall just dealt with): nothing outstanding, quiet from now. Event thread. */
  void reset(long now) {
    busySince = -1;
    lastAnswer = now;
  }
}
