package io.junction.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The loops on a fake clock and a target that answers on the caller's thread after a fixed
 * service time: every figure is then known exactly.
 */
class DriverTest {
  private static final long MS = 1_000_000L;
  private final FakeTicker clock = new FakeTicker();
  private final Driver driver = new Driver(clock);

  /** Takes {@code serviceNanos} of (fake) time per call; every {@code wrongEvery}-th answer is wrong. */
  private Target serial(long serviceNanos, int wrongEvery) {
    return new Target() {
      private int calls;

      @Override
      public void send(int caseIndex, Outcome outcome) {
        clock.advance(serviceNanos);
        if (wrongEvery > 0 && ++calls % wrongEvery == 0) {
          outcome.error("wrong answer: y[0]");
        } else {
          outcome.ok();
        }
      }

      @Override
      public int cases() {
        return 1;
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void closedLoopMeasuresServiceTimeAndLeavesTheWarmUpOut() throws Exception {
    Driver.Result r = driver.closedLoop(serial(10 * MS, 0), 1, new Driver.Plan(100 * MS, 1000 * MS, 1_000_000, 0));

    // 10 warm-up calls (0..90 ms) are not counted; 100 calls start in the measured second.
    assertThat(r.summary().ok()).isEqualTo(100);
    assertThat(r.summary().errors()).isZero();
    assertThat(r.summary().p50Us()).isCloseTo(10_000, within(10.0));
    assertThat(r.summary().p999Us()).isCloseTo(10_000, within(10.0));
    assertThat(r.summary().throughput()).isCloseTo(100, within(0.01));
  }

  @Test
  void wrongAnswersAreErrorsAndNotThroughput() throws Exception {
    Driver.Result r = driver.closedLoop(serial(10 * MS, 4), 1, new Driver.Plan(0, 1000 * MS, 1_000_000, 0));

    assertThat(r.summary().ok()).isEqualTo(75);
    assertThat(r.summary().errors()).isEqualTo(25);
    assertThat(r.summary().errorKinds()).containsEntry("wrong answer: y[0]", 25L);
    assertThat(r.summary().throughput()).isCloseTo(75, within(0.01));
  }

  @Test
  void roundsIntoOneRecorderPoolTheirAnswersButEachReportsItsOwnPeriod() throws Exception {
    Recorder pooled = new Recorder();
    Driver.Plan plan = new Driver.Plan(0, 500 * MS, 1_000_000, 0);

    Driver.Result first = driver.closedLoop(serial(10 * MS, 0), 1, plan, pooled);
    Driver.Result second = driver.closedLoop(serial(5 * MS, 0), 1, plan, pooled);

    assertThat(first.summary().seconds()).isCloseTo(0.5, within(1e-9));
    assertThat(second.summary().seconds()).isCloseTo(0.5, within(1e-9));
    Recorder.Summary all = pooled.summarize(1.0);
    assertThat(all.ok()).isEqualTo(50 + 100);
    assertThat(all.throughput()).isEqualTo(150);
    assertThat(all.maxUs()).isCloseTo(10_000, within(10.0));
  }

  @Test
  void requestCountBoundsTheRun() throws Exception {
    Driver.Result r = driver.closedLoop(serial(MS, 0), 4, new Driver.Plan(0, 1000 * MS, 50, 0));

    assertThat(r.summary().ok()).isEqualTo(50);
  }

  @Test
  void openLoopBelowCapacityShowsTheServiceTime() throws Exception {
    // One request every 20 ms; each takes 10 ms: the system keeps up.
    Driver.Result r = driver.openLoop(serial(10 * MS, 0), 50, 16, new Driver.Plan(0, 1000 * MS, 1_000_000, 0));

    assertThat(r.summary().ok()).isEqualTo(50);
    assertThat(r.summary().p99Us()).isCloseTo(10_000, within(10.0));
    assertThat(r.lateSends()).isZero();
  }

  @Test
  void openLoopLatencyRunsFromTheIntendedSendTimeSoAStallIsNotHidden() throws Exception {
    // One request every 1 ms, but each takes 10 ms and holds the sender: the system falls
    // further behind with every request. Measured from the actual send, every latency would be
    // 10 ms (coordinated omission); from the intended time the i-th waits i * 9 ms more.
    Driver.Result r = driver.openLoop(serial(10 * MS, 0), 1000, 16, new Driver.Plan(0, 100 * MS, 1_000_000, 0));

    assertThat(r.summary().ok()).isEqualTo(100);
    assertThat(r.summary().p50Us()).isCloseTo(10_000 + 49 * 9_000, within(1_000.0));
    assertThat(r.summary().maxUs()).isCloseTo(10_000 + 99 * 9_000, within(1_000.0));
    assertThat(r.lateSends()).isEqualTo(99);
    // 100 answers over 1 s of (fake) time: a tenth of the offered rate.
    assertThat(r.summary().throughput()).isCloseTo(100, within(0.5));
  }

  @Test
  void closedLoopClientsThatNeverHearBackAreCountedAtTheDrainDeadline() throws Exception {
    Target silent = new Target() {
      @Override
      public void send(int caseIndex, Outcome outcome) {}

      @Override
      public int cases() {
        return 1;
      }

      @Override
      public void close() {}
    };

    Driver.Result r = driver.closedLoop(silent, 3, new Driver.Plan(0, 1000 * MS, 100, 0));

    assertThat(r.summary().ok()).isZero();
    assertThat(r.summary().errors()).isEqualTo(3);
    assertThat(r.summary().errorKinds()).containsEntry("no answer before the drain deadline", 3L);
  }
}
