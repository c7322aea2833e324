package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.orchestrator.pool.Autoscaler.Action;
import io.junction.orchestrator.pool.Autoscaler.Decision;
import io.junction.orchestrator.pool.Autoscaler.Sample;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The autoscaler's decisions on a fake clock: one sample per check, time moved by hand. */
class AutoscalerTest {
  /** Up after 3 s of queueing, down after 10 s of room, checked each second; 1 to 3 replicas of 4 calls. */
  private static final Autoscaling POLICY = new Autoscaling(1, 3, 0, Duration.ofSeconds(3), Duration.ofSeconds(10),
      Duration.ofSeconds(1));
  private static final int MAX_IN_FLIGHT = 4;

  private final Autoscaler autoscaler = new Autoscaler(POLICY, MAX_IN_FLIGHT);
  private long now;

  /** One check, a second after the last. */
  private Decision check(int replicas, int queued, int inFlight) {
    return check(replicas, queued, inFlight, null);
  }

  private Decision check(int replicas, int queued, int inFlight, String changing) {
    now += Duration.ofSeconds(1).toNanos();
    return autoscaler.decide(now, new Sample(replicas, queued, inFlight, changing));
  }

  @Test
  void aQueueThatStaysAboveTheThresholdForUpscaleAfterAddsOneReplica() {
    assertThat(check(1, 5, 4).action()).isEqualTo(Action.HOLD);
    assertThat(check(1, 7, 4).action()).isEqualTo(Action.HOLD);
    assertThat(check(1, 6, 4).action()).isEqualTo(Action.HOLD);
    Decision d = check(1, 9, 4);

    assertThat(d.action()).isEqualTo(Action.UP);
    assertThat(d.reason()).isEqualTo(
        "queue above 0 at every check for 3.0 s (5 to 9 calls waiting): 1 -> 2 replicas");
  }

  @Test
  void aShortSpikeHolds() {
    for (int round = 0; round < 5; round++) {
      assertThat(check(1, 8, 4).action()).isEqualTo(Action.HOLD);
      assertThat(check(1, 8, 4).action()).isEqualTo(Action.HOLD);
      assertThat(check(1, 0, 4).action()).isEqualTo(Action.HOLD); // the queue emptied: the window starts again
    }
  }

  @Test
  void aQueueAtOrBelowTheThresholdIsNoReasonToGrow() {
    Autoscaler tolerant = new Autoscaler(new Autoscaling(1, 3, 2, Duration.ofSeconds(3), Duration.ofSeconds(10),
        Duration.ofSeconds(1)), MAX_IN_FLIGHT);
    for (int i = 1; i <= 10; i++) {
      assertThat(tolerant.decide(i * 1_000_000_000L, new Sample(1, 2, 4, null)).action()).isEqualTo(Action.HOLD);
    }
    assertThat(tolerant.decide(11_000_000_000L, new Sample(1, 3, 4, null)).action()).isEqualTo(Action.HOLD);
  }

  @Test
  void roomToSpareForTheCoolDownRemovesOneReplica() {
    Decision d = null;
    for (int i = 0; i < 10; i++) {
      d = check(3, 0, i % 2 == 0 ? 3 : 8); // 8 calls fit in 2 replicas of 4
      assertThat(d.action()).isEqualTo(Action.HOLD);
    }
    d = check(3, 0, 2);

    assertThat(d.action()).isEqualTo(Action.DOWN);
    assertThat(d.reason()).isEqualTo("room to spare at every check for 10.0 s (nothing queued, at most 8 call(s) in"
        + " flight, which 2 replica(s) of max_in_flight 4 hold): 3 -> 2 replicas");
  }

  @Test
  void callsThatNeedEveryReplicaKeepThemAll() {
    for (int i = 0; i < 30; i++) {
      int inFlight = i == 15 ? 0 : 9; // one quiet check in the middle starts the cool-down again
      assertThat(check(3, 0, inFlight).action()).isEqualTo(Action.HOLD);
    }
  }

  @Test
  void neverBelowMinReplicas() {
    for (int i = 0; i < 60; i++) {
      Decision d = check(1, 0, 0);
      assertThat(d.action()).isEqualTo(Action.HOLD);
      assertThat(d.reason()).isEqualTo("at min_replicas 1");
    }
  }

  @Test
  void neverAboveMaxReplicasAndSaysSoOncePerWindow() {
    int atLimit = 0;
    for (int i = 0; i < 12; i++) {
      Decision d = check(3, 20, 12);
      assertThat(d.action()).isIn(Action.HOLD, Action.AT_LIMIT);
      if (d.action() == Action.AT_LIMIT) {
        atLimit++;
        assertThat(d.reason()).endsWith("but the pool is at max_replicas 3");
      }
    }
    assertThat(atLimit).isEqualTo(3); // after 3, 6, 9 ... 12 s: one per upscale window
  }

  @Test
  void oneChangeAtATimeAndTheWindowStartsAgainAfterIt() {
    check(1, 5, 4);
    check(1, 5, 4);
    check(1, 5, 4);
    assertThat(check(1, 5, 4).action()).isEqualTo(Action.UP);

    // The replica it added is starting: the queue stays, the autoscaler waits for it.
    for (int i = 0; i < 10; i++) {
      Decision d = check(2, 5, 4, "replica p-1 is starting (STARTING)");
      assertThat(d.action()).isEqualTo(Action.HOLD);
      assertThat(d.reason()).isEqualTo("replica p-1 is starting (STARTING); one change at a time");
    }
    // It is READY: the queue must stay a whole window again before another.
    assertThat(check(2, 5, 8).action()).isEqualTo(Action.HOLD);
    assertThat(check(2, 5, 8).action()).isEqualTo(Action.HOLD);
    assertThat(check(2, 5, 8).action()).isEqualTo(Action.HOLD);
    assertThat(check(2, 5, 8).action()).isEqualTo(Action.UP);
  }

  @Test
  void aDrainUnderWayHoldsTheCoolDownToo() {
    for (int i = 0; i < 10; i++) {
      check(3, 0, 0);
    }
    assertThat(check(3, 0, 0).action()).isEqualTo(Action.DOWN);
    for (int i = 0; i < 20; i++) {
      assertThat(check(3, 0, 0, "replica p-2 is draining to leave (1 call(s) in flight)").action())
          .isEqualTo(Action.HOLD);
    }
    for (int i = 0; i < 10; i++) {
      assertThat(check(2, 0, 0).action()).isEqualTo(Action.HOLD);
    }
    assertThat(check(2, 0, 0).action()).isEqualTo(Action.DOWN);
    for (int i = 0; i < 30; i++) {
      assertThat(check(1, 0, 0).action()).isEqualTo(Action.HOLD);
    }
  }

  @Test
  void thePolicyRejectsInconsistentSettings() {
    assertThatThrownBy(() -> new Autoscaling(0, 3)).hasMessage("min_replicas: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new Autoscaling(3, 2)).hasMessage("max_replicas: 2 (expected: >= min_replicas, 3)");
    assertThatThrownBy(() -> new Autoscaling(1, 2, -1, Duration.ofSeconds(3), Duration.ofSeconds(10),
        Duration.ofSeconds(1))).hasMessage("upscale_queue: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new Autoscaling(1, 2, 0, Duration.ofMillis(500), Duration.ofSeconds(10),
        Duration.ofSeconds(1))).hasMessage("upscale_after_ms: 500 (expected: >= check_interval_ms, 1000)");
    assertThatThrownBy(() -> new Autoscaling(1, 2, 0, Duration.ofSeconds(3), Duration.ofSeconds(10),
        Duration.ofMillis(5))).hasMessage("check_interval_ms: 5 (expected: >= 10)");
    assertThat(new Autoscaling(1, 3).allows(3)).isTrue();
    assertThat(new Autoscaling(1, 3).allows(4)).isFalse();
  }
}
