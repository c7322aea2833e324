package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.orchestrator.pool.StallWatch.Verdict;
import org.junit.jupiter.api.Test;

/** The stall decision on a clock the test moves: times are milliseconds turned into nanoseconds. */
class StallWatchTest {
  private static final long MS = 1_000_000L;
  /** stall_after 1000 ms; checks every 250 ms. */
  private final StallWatch watch = new StallWatch(1000 * MS, 0);

  /** Checks every 250 ms from {@code from} to {@code to} (inclusive) with {@code inFlight} calls out; the last verdict. */
  private Verdict checks(long from, long to, int inFlight) {
    Verdict v = Verdict.FINE;
    for (long t = from; t <= to; t += 250) {
      v = watch.check(t * MS, inFlight);
    }
    return v;
  }

  @Test
  void callsOutAndNoAnswerForStallAfterIsAStall() {
    assertThat(watch.checkIntervalNanos()).isEqualTo(250 * MS);
    assertThat(checks(250, 750, 3)).isEqualTo(Verdict.QUIET);
    assertThat(checks(1000, 1000, 3)).as("busy since 250 ms, quiet for 750 ms").isEqualTo(Verdict.QUIET);
    assertThat(checks(1250, 1250, 3)).isEqualTo(Verdict.STALLED);
    assertThat(watch.quietNanos(1250 * MS)).isEqualTo(1000 * MS);
  }

  @Test
  void answersKeepABusyReplicaFromStalling() {
    for (long t = 250; t <= 10_000; t += 250) {
      if (t % 500 == 0) {
        watch.answered(t * MS - 100 * MS); // a slow replica: one answer every 500 ms
      }
      assertThat(watch.check(t * MS, 8)).as("at %d ms", t).isNotEqualTo(Verdict.STALLED);
    }
  }

  @Test
  void aProbeAnswerAfterTheQuietVerdictIsEnough() {
    assertThat(checks(250, 750, 1)).isEqualTo(Verdict.QUIET);
    watch.answered(800 * MS); // the probe sent on QUIET came back: slow, not stopped
    assertThat(checks(1000, 1250, 1)).isEqualTo(Verdict.FINE);
    assertThat(checks(1500, 1500, 1)).as("quiet again for 700 ms").isEqualTo(Verdict.QUIET);
    assertThat(checks(1750, 2000, 1)).as("no answer since 800 ms").isEqualTo(Verdict.STALLED);
  }

  @Test
  void noCallsOutIsNeverAStallHoweverQuiet() {
    assertThat(checks(250, 60_000, 0)).isEqualTo(Verdict.FINE);
    assertThat(watch.quietNanos(60_000 * MS)).isZero();
  }

  @Test
  void aReplicaIdleForLongIsNotStalledByItsFirstCall() {
    checks(250, 30_000, 0); // nothing answered for 30 s, nothing asked either
    assertThat(checks(30_250, 30_750, 1)).as("quiet only since the call went out").isNotEqualTo(Verdict.STALLED);
    assertThat(checks(31_000, 31_250, 1)).isEqualTo(Verdict.STALLED);
  }

  @Test
  void callsDoneResetTheCount() {
    checks(250, 1000, 2);
    checks(1250, 1250, 0);
    assertThat(checks(1500, 2000, 2)).isNotEqualTo(Verdict.STALLED);
  }

  @Test
  void aLateCheckBlamesTheOrchestratorsPauseNotTheReplica() {
    checks(250, 500, 2);
    // The next check comes 3 s late: our own threads were paused and may not have read its answers.
    assertThat(watch.check(3_500 * MS, 2)).isEqualTo(Verdict.FINE);
    assertThat(checks(3_750, 4_250, 2)).isNotEqualTo(Verdict.STALLED);
    assertThat(checks(4_500, 4_500, 2)).as("quiet for a full stall_after of timely checks").isEqualTo(Verdict.STALLED);
  }

  @Test
  void recoversAfterAReset() {
    assertThat(checks(250, 1250, 1)).isEqualTo(Verdict.STALLED);
    watch.reset(1250 * MS);
    assertThat(checks(1500, 1500, 0)).isEqualTo(Verdict.FINE);
    watch.answered(1600 * MS);
    assertThat(checks(1750, 2000, 1)).isEqualTo(Verdict.FINE);
  }

  @Test
  void stallAfterMustBePositive() {
    assertThatThrownBy(() -> new StallWatch(0, 0)).hasMessage("stall_after: 0 ns (expected: > 0)");
  }
}
