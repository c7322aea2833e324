package io.junction.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RecorderTest {
  @Test
  void percentilesOfAKnownSpreadWithinThreeSignificantDigits() {
    Recorder r = new Recorder();
    for (int i = 1; i <= 10_000; i++) {
      r.ok(i * 1_000L); // 1 us .. 10 ms
    }

    Recorder.Summary s = r.summarize(2.0);

    assertThat(s.ok()).isEqualTo(10_000);
    assertThat(s.throughput()).isEqualTo(5_000);
    assertThat(s.p50Us()).isCloseTo(5_000, within(5.0));
    assertThat(s.p90Us()).isCloseTo(9_000, within(9.0));
    assertThat(s.p99Us()).isCloseTo(9_900, within(10.0));
    assertThat(s.p999Us()).isCloseTo(9_990, within(10.0));
    assertThat(s.maxUs()).isCloseTo(10_000, within(10.0));
    assertThat(s.meanUs()).isCloseTo(5_000.5, within(5.0));
  }

  @Test
  void errorKindsAreCountedAndBoundedInNumber() {
    Recorder r = new Recorder();
    for (int i = 0; i < 20; i++) {
      r.error("kind " + i);
      r.error("kind 0");
    }

    Recorder.Summary s = r.summarize(1.0);

    assertThat(s.errors()).isEqualTo(40);
    assertThat(s.errorKinds()).hasSize(8).containsEntry("kind 0", 21L);
    assertThat(s.ok()).isZero();
    assertThat(s.p50Us()).isZero();
  }

  @Test
  void latenciesBeyondTheRangeAreClampedNotLost() {
    Recorder r = new Recorder();
    r.ok(Recorder.MAX_NANOS * 2);
    r.ok(-5);

    assertThat(r.summarize(1.0).ok()).isEqualTo(2);
  }
}
