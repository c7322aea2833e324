package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void delaysDoubleFromHalfASecondUpToThirtySeconds() {
    RestartBackoff backoff = RestartBackoff.standard();
    long now = 0;
    StringBuilder seen = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      seen.append(backoff.nextDelay(now).toMillis()).append(' ');
    }
    assertThat(seen.toString().trim()).isEqualTo("500 1000 2000 4000 8000 16000 30000 30000 30000");
  }

  @Test
  void aReplicaThatStayedReadyLongEnoughRestartsQuicklyAgain() {
    RestartBackoff backoff = RestartBackoff.standard();
    long now = 0;
    backoff.nextDelay(now);
    backoff.nextDelay(now);
    assertThat(backoff.nextDelay(now)).isEqualTo(Duration.ofSeconds(2));
    backoff.onReady(now);
    now += 60 * SECOND;
    assertThat(backoff.nextDelay(now)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void aReplicaThatCrashesSoonAfterReadyKeepsBackingOff() {
    RestartBackoff backoff = RestartBackoff.standard();
    long now = 0;
    assertThat(backoff.nextDelay(now)).isEqualTo(Duration.ofMillis(500));
    backoff.onReady(now);
    now += 10 * SECOND;
    assertThat(backoff.nextDelay(now)).isEqualTo(Duration.ofSeconds(1));
    // Ready long ago but not since the last crash: no reset either.
    now += 120 * SECOND;
    assertThat(backoff.nextDelay(now)).isEqualTo(Duration.ofSeconds(2));
  }
}
