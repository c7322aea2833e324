package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The relay of workers' output to the log, with a log that the test holds blocked. */
class OutputRelayTest {
  private final CountDownLatch logBlocked = new CountDownLatch(1);
  private final CountDownLatch logUnblocked = new CountDownLatch(1);
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final List<Long> droppedReports = new CopyOnWriteArrayList<>();

  private final OutputRelay.Sink blockingLog = new OutputRelay.Sink() {
    @Override
    public void line(String replicaId, String line) {
      logBlocked.countDown();
      try {
        logUnblocked.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      logged.add(replicaId + " " + line);
    }

    @Override
    public void dropped(long count) {
      droppedReports.add(count);
    }
  };

  @Test
  void aBlockedLogNeverBlocksTheReaderAndDroppedLinesAreCountedAndReported() throws Exception {
    try (OutputRelay relay = new OutputRelay(2, blockingLog)) {
      assertThat(relay.offer("p-0", "first")).isTrue();
      assertThat(logBlocked.await(30, TimeUnit.SECONDS)).isTrue();
      // The log holds "first"; two more fill the queue; the rest are dropped without waiting.
      assertThat(relay.offer("p-0", "second")).isTrue();
      assertThat(relay.offer("p-1", "third")).isTrue();
      for (int i = 0; i < 5; i++) {
        assertThat(relay.offer("p-0", "lost " + i)).isFalse();
      }
      assertThat(relay.droppedTotal()).isEqualTo(5);

      logUnblocked.countDown();
      for (int i = 0; i < 1_000 && logged.size() < 3; i++) {
        Thread.sleep(5);
      }
      assertThat(logged).containsExactly("p-0 first", "p-0 second", "p-1 third");
      assertThat(droppedReports).containsExactly(5L);
      assertThat(relay.offer("p-0", "later")).isTrue();
    }
    assertThat(logged).endsWith("p-0 later");
  }

  @Test
  void closingStopsTheRelayThread() throws Exception {
    OutputRelay relay = new OutputRelay(4, blockingLog);
    logUnblocked.countDown();
    relay.offer("p-0", "last");
    assertThat(relay.running()).isTrue();
    relay.close();
    assertThat(logged).containsExactly("p-0 last");
    assertThat(relay.running()).isFalse();
    assertThat(relay.offer("p-0", "after close")).isFalse();
  }
}
