package io.junction.orchestrator.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The retry budget's token bucket on a fake clock: what calls and time earn, what retries take, the cap. */
class RetryBudgetTest {
  private final AtomicLong now = new AtomicLong(1_000);

  private RetryBudget budget(double ratio, double minPerSecond, int capacity) {
    return new RetryBudget(new RetryBudgetPolicy(ratio, minPerSecond), capacity, now::get);
  }

  private static int retriesAllowed(RetryBudget b, int asked) {
    int allowed = 0;
    for (int i = 0; i < asked; i++) {
      if (b.tryRetry()) {
        allowed++;
      }
    }
    return allowed;
  }

  @Test
  void aFullBucketAllowsItsFloorPlusItsShareOfThePoolsCapacityThenRefuses() {
    RetryBudget b = budget(0.2, 10, 20); // 10 + 0.2 × 20 = 14 tokens

    assertThat(retriesAllowed(b, 100)).isEqualTo(14);
    assertThat(b.retries()).isEqualTo(14);
    assertThat(b.refused()).isEqualTo(86);
  }

  @Test
  void eachCallEarnsItsRatioOfARetry() {
    RetryBudget b = budget(0.2, 0, 100);
    retriesAllowed(b, 1000); // empty it
    assertThat(b.tokens()).isLessThan(1);

    for (int i = 0; i < 50; i++) {
      b.onCall();
    }
    assertThat(retriesAllowed(b, 100)).as("50 calls at 0.2").isEqualTo(10);
  }

  @Test
  void timeEarnsTheFloorPerSecondUpToTheCap() {
    RetryBudget b = budget(0, 10, 1); // holds at most 10
    retriesAllowed(b, 100);

    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
    assertThat(retriesAllowed(b, 100)).as("half a second at 10/s").isEqualTo(5);

    now.addAndGet(TimeUnit.HOURS.toNanos(1));
    assertThat(retriesAllowed(b, 100)).as("an hour later: capped").isEqualTo(10);
  }

  @Test
  void slowRefillsStillAddUpWhenAskedOften() {
    RetryBudget b = budget(0, 1, 1);
    retriesAllowed(b, 10);
    int allowed = 0;
    for (int i = 0; i < 2000; i++) { // 2 s in steps of 1 ms, asking every step
      now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
      allowed += retriesAllowed(b, 1);
    }
    assertThat(allowed).isEqualTo(2);
  }

  @Test
  void callsCannotSaveMoreThanTheCap() {
    RetryBudget b = budget(0.5, 0, 4); // cap 2
    for (int i = 0; i < 1000; i++) {
      b.onCall();
    }
    assertThat(retriesAllowed(b, 100)).isEqualTo(2);
  }

  @Test
  void aZeroBudgetNeverRetries() {
    RetryBudget b = budget(0, 0, 8);
    for (int i = 0; i < 100; i++) {
      b.onCall();
    }
    now.addAndGet(TimeUnit.HOURS.toNanos(1));
    assertThat(b.tryRetry()).isFalse();
    assertThat(b.refused()).isEqualTo(1);
  }

  @Test
  void settingsOutOfRangeAreRefusedNamingTheSetting() {
    assertThatThrownBy(() -> new RetryBudgetPolicy(1.5, 10))
        .hasMessage("retry_budget.ratio: 1.5 (expected: 0 to 1)");
    assertThatThrownBy(() -> new RetryBudgetPolicy(0.2, -1))
        .hasMessage("retry_budget.min_per_second: -1.0 (expected: 0 to 10000)");
    assertThatThrownBy(() -> new RetryBudgetPolicy(Double.NaN, 1)).hasMessageContaining("retry_budget.ratio: NaN");
  }
}
