package io.junction.orchestrator.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.orchestrator.routing.OutlierDetector.Phase;
import io.junction.orchestrator.routing.OutlierDetector.Verdict;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Ejection decisions on a clock the test moves: nanoseconds passed in, no sleeps. */
class OutlierDetectorTest {
  private static final long MS = 1_000_000L;
  private static final Duration BASE = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(5);

  /** 3 in a row; or more than half of at least 10 calls in 1 s; 1 s ejections up to 5 s; 2 probation calls. */
  private static OutlierPolicy policy(int consecutive) {
    return new OutlierPolicy(true, consecutive, 50, 10, Duration.ofSeconds(1), BASE, MAX, 2);
  }

  private long now = 1_000 * MS;

  private Verdict fail(OutlierDetector d) {
    now += MS;
    return d.onFailure(now, "UNAVAILABLE: fault injected");
  }

  private Verdict succeed(OutlierDetector d) {
    now += MS;
    return d.onSuccess(now);
  }

  @Test
  void consecutiveFailuresReachingTheThresholdEject() {
    OutlierDetector d = new OutlierDetector(policy(3));
    assertThat(fail(d)).isEqualTo(Verdict.NONE);
    assertThat(fail(d)).isEqualTo(Verdict.NONE);
    assertThat(fail(d)).isEqualTo(Verdict.EJECT);

    assertThat(d.eject(now)).isEqualTo(BASE);
    assertThat(d.isEjected()).isTrue();
    assertThat(d.reason()).isEqualTo("3 failures in a row, last: UNAVAILABLE: fault injected");
    assertThat(d.ejectedUntil()).isEqualTo(now + BASE.toNanos());
  }

  @Test
  void aSuccessBreaksTheRun() {
    OutlierDetector d = new OutlierDetector(policy(3));
    for (int i = 0; i < 5; i++) {
      assertThat(fail(d)).isEqualTo(Verdict.NONE);
      assertThat(fail(d)).isEqualTo(Verdict.NONE);
      assertThat(succeed(d)).isEqualTo(Verdict.NONE);
      now += Duration.ofSeconds(2).toNanos(); // keep the rate out of it: a fresh window each round
    }
    assertThat(d.isEjected()).isFalse();
  }

  @Test
  void aFailureRateAboveTheLimitEjectsOnceTheWindowHoldsEnoughCalls() {
    OutlierDetector d = new OutlierDetector(policy(100));
    // 2 of 3 calls fail: above 50 %, but 9 calls are too few to judge.
    for (int i = 0; i < 3; i++) {
      assertThat(fail(d)).isEqualTo(Verdict.NONE);
      assertThat(succeed(d)).isEqualTo(Verdict.NONE);
      assertThat(fail(d)).isEqualTo(Verdict.NONE);
    }
    assertThat(fail(d)).isEqualTo(Verdict.EJECT); // 7 of 10
    d.eject(now);
    assertThat(d.reason()).startsWith("7 of 10 calls failed in 1000 ms (limit 50%)");
  }

  @Test
  void exactlyTheLimitIsNotAboveIt() {
    OutlierDetector d = new OutlierDetector(policy(100));
    for (int i = 0; i < 5; i++) {
      assertThat(fail(d)).isEqualTo(Verdict.NONE);
      assertThat(succeed(d)).isEqualTo(Verdict.NONE);
    }
    assertThat(d.isEjected()).isFalse(); // 5 of 10: not above 50 %
  }

  @Test
  void failuresOlderThanTheWindowLeaveIt() {
    OutlierDetector d = new OutlierDetector(policy(100));
    for (int i = 0; i < 9; i++) {
      fail(d);
    }
    now += Duration.ofMillis(1500).toNanos(); // those 9 are out of the 1 s window now
    for (int i = 0; i < 6; i++) {
      assertThat(succeed(d)).isEqualTo(Verdict.NONE);
    }
    for (int i = 0; i < 3; i++) {
      assertThat(fail(d)).as("failure " + i).isEqualTo(Verdict.NONE); // 3 of 9 calls in the window
    }
  }

  @Test
  void aReadmittedReplicaIsOnProbationWhereOneFailureEjectsItAgainForLonger() {
    OutlierDetector d = new OutlierDetector(policy(3));
    fail(d);
    fail(d);
    fail(d);
    d.eject(now);
    assertThat(fail(d)).as("outcomes of calls that were in flight when it left").isEqualTo(Verdict.NONE);
    now += BASE.toNanos();

    assertThat(d.readmit(now)).isTrue();
    assertThat(d.phase()).isEqualTo(Phase.PROBATION);
    assertThat(d.isEjected()).isFalse();
    assertThat(fail(d)).isEqualTo(Verdict.EJECT);
    assertThat(d.eject(now)).isEqualTo(BASE.multipliedBy(2));
    assertThat(d.reason()).isEqualTo("failed on probation: UNAVAILABLE: fault injected");
    assertThat(d.ejections()).isEqualTo(2);
  }

  @Test
  void probationCallsAnsweredMakeItHealthy() {
    OutlierDetector d = new OutlierDetector(policy(3));
    fail(d);
    fail(d);
    fail(d);
    d.eject(now);
    assertThat(d.readmit(now + BASE.toNanos())).isTrue();
    now += BASE.toNanos();
    assertThat(succeed(d)).isEqualTo(Verdict.NONE);
    assertThat(succeed(d)).isEqualTo(Verdict.HEALTHY);
    assertThat(d.phase()).isEqualTo(Phase.ACTIVE);
    // Healthy again: it takes a whole run of failures to eject it, not one.
    assertThat(fail(d)).isEqualTo(Verdict.NONE);
  }

  @Test
  void theEjectionTimeDoublesWithEachEjectionUpToTheCap() {
    OutlierDetector d = new OutlierDetector(policy(1));
    long[] seconds = new long[5];
    for (int i = 0; i < seconds.length; i++) {
      assertThat(fail(d)).isEqualTo(Verdict.EJECT);
      Duration t = d.eject(now);
      seconds[i] = t.toSeconds();
      now += t.toNanos();
      d.readmit(now);
    }
    assertThat(seconds).containsExactly(1, 2, 4, 5, 5);
  }

  @Test
  void aReplicaThatBehavedForTheLongestEjectionStartsAgainFromTheBaseTime() {
    OutlierDetector d = new OutlierDetector(policy(1));
    fail(d);
    now += d.eject(now).toNanos();
    d.readmit(now);
    succeed(d);
    succeed(d); // healthy
    now += MAX.toNanos();
    assertThat(fail(d)).isEqualTo(Verdict.EJECT);
    assertThat(d.eject(now)).isEqualTo(BASE);
  }

  @Test
  void aSparedReplicaIsCountedAfresh() {
    OutlierDetector d = new OutlierDetector(policy(3));
    fail(d);
    fail(d);
    assertThat(fail(d)).isEqualTo(Verdict.EJECT);
    d.spare(); // its pool has no other replica that can serve
    assertThat(d.isEjected()).isFalse();
    assertThat(fail(d)).isEqualTo(Verdict.NONE);
    assertThat(fail(d)).isEqualTo(Verdict.NONE);
    assertThat(fail(d)).isEqualTo(Verdict.EJECT);
  }

  @Test
  void aDisabledPolicyNeverEjects() {
    OutlierDetector d = new OutlierDetector(OutlierPolicy.DISABLED);
    for (int i = 0; i < 100; i++) {
      assertThat(fail(d)).isEqualTo(Verdict.NONE);
    }
  }

  @Test
  void readmittingAReplicaThatIsNotEjectedDoesNothing() {
    OutlierDetector d = new OutlierDetector(policy(3));
    assertThat(d.readmit(now)).isFalse();
    assertThat(d.phase()).isEqualTo(Phase.ACTIVE);
  }

  @Test
  void thePolicyRefusesSettingsThatCannotWork() {
    assertThatThrownBy(() -> new OutlierPolicy(true, 0, 50, 10, Duration.ofSeconds(1), BASE, MAX, 2))
        .hasMessage("consecutive_failures: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new OutlierPolicy(true, 5, 101, 10, Duration.ofSeconds(1), BASE, MAX, 2))
        .hasMessage("failure_rate_percent: 101 (expected: 1 to 100)");
    assertThatThrownBy(() -> new OutlierPolicy(true, 5, 50, 10, Duration.ofSeconds(1), MAX, BASE, 2))
        .hasMessage("max_ejection_ms: 1000 (expected: >= base_ejection_ms, 5000)");
    assertThatThrownBy(() -> new OutlierPolicy(true, 5, 50, 10, Duration.ofSeconds(1), BASE, MAX, 0))
        .hasMessage("probation_calls: 0 (expected: >= 1)");
  }
}
