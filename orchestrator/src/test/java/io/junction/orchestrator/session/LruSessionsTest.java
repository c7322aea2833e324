package io.junction.orchestrator.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The session store's three bounds on a hand-driven clock: no sleeps. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LruSessionsTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  private Sessions store(int maxSessions, int maxTurns, long idleTtlMs) {
    return Sessions.create(new SessionConfig(maxSessions, maxTurns, Duration.ofMillis(idleTtlMs)), nanos::get);
  }

  private void advanceMillis(long ms) {
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  private static Turn turn(int i) {
    return new Turn("text " + i, "intent" + i, "reply " + i);
  }

  private static List<String> ids(SessionListing listing) {
    return listing.sessions().stream().map(SessionSummary::id).toList();
  }

  @Test
  void anUnknownIdHasNoHistoryAndReadingItCreatesNothing() {
    Sessions s = store(10, 4, 60_000);
    History h = s.use("a");
    assertThat(h).isEqualTo(History.NONE);
    assertThat(h.turns()).isZero();
    assertThat(h.previousIntent()).isEmpty();
    assertThat(s.list(10).count()).isZero();
    assertThat(s.list(10).oldestIdle()).isEqualTo(Duration.ZERO);
  }

  @Test
  void turnsAreReadBackOldestFirstWithThePreviousIntent() {
    Sessions s = store(10, 4, 60_000);
    s.record("a", turn(1));
    s.record("a", turn(2));
    s.record("b", turn(9));
    History a = s.use("a");
    assertThat(a.turns()).isEqualTo(2);
    assertThat(a.recent()).containsExactly(turn(1), turn(2));
    assertThat(a.previousIntent()).isEqualTo("intent2");
    assertThat(s.use("b").recent()).containsExactly(turn(9));
  }

  @Test
  void aSessionKeepsOnlyItsLatestTurnsButCountsThemAll() {
    Sessions s = store(10, 3, 60_000);
    IntStream.rangeClosed(1, 5).forEach(i -> s.record("a", turn(i)));
    History h = s.use("a");
    assertThat(h.recent()).containsExactly(turn(3), turn(4), turn(5));
    assertThat(h.turns()).isEqualTo(5);
    assertThat(h.previousIntent()).isEqualTo("intent5");
    SessionSummary summary = s.list(1).sessions().get(0);
    assertThat(summary.turns()).isEqualTo(5);
    assertThat(summary.keptTurns()).isEqualTo(3);
  }

  @Test
  void aHistoryGrowsInOrderUpToItsBoundThenDropsTheOldest() {
    Sessions s = store(10, 10, 60_000);
    for (int i = 1; i <= 25; i++) {
      s.record("a", turn(i));
      int first = Math.max(1, i - 9);
      assertThat(s.use("a").recent()).as("after %d turns", i)
          .containsExactlyElementsOf(IntStream.rangeClosed(first, i).mapToObj(LruSessionsTest::turn).toList());
    }
  }

  @Test
  void aHistoryReadEarlierDoesNotChangeWithLaterTurns() {
    Sessions s = store(10, 2, 60_000);
    s.record("a", turn(1));
    History before = s.use("a");
    s.record("a", turn(2));
    s.record("a", turn(3));
    assertThat(before.recent()).containsExactly(turn(1));
    assertThat(before.turns()).isEqualTo(1);
  }

  @Test
  void overMaxSessionsTheLeastRecentlyUsedIsEvictedFirst() {
    Sessions s = store(3, 4, 60_000);
    s.record("a", turn(1));
    advanceMillis(1);
    s.record("b", turn(1));
    advanceMillis(1);
    s.record("c", turn(1));
    advanceMillis(1);
    s.use("a"); // a is now the most recently used: b is the least
    assertThat(ids(s.list(10))).containsExactly("b", "c", "a");

    advanceMillis(1);
    s.record("d", turn(1));
    assertThat(ids(s.list(10))).containsExactly("c", "a", "d");
    assertThat(s.use("b")).isEqualTo(History.NONE);

    advanceMillis(1);
    s.record("a", turn(2)); // a turn is a use too
    s.record("e", turn(1));
    assertThat(ids(s.list(10))).containsExactly("d", "a", "e");
    assertThat(s.use("a").turns()).isEqualTo(2);
  }

  @Test
  void aSessionIdleForItsTtlIsGoneAndItsIdStartsAFreshHistory() {
    Sessions s = store(10, 4, 1000);
    s.record("a", turn(1));
    advanceMillis(999);
    assertThat(s.use("a").turns()).as("used just within the TTL").isEqualTo(1);
    advanceMillis(999);
    assertThat(s.use("a").turns()).as("the use before restarted its idle time").isEqualTo(1);
    advanceMillis(1000);
    assertThat(s.use("a")).as("idle for the whole TTL").isEqualTo(History.NONE);
    assertThat(s.list(10).count()).isZero();

    s.record("a", turn(2));
    History fresh = s.use("a");
    assertThat(fresh.turns()).isEqualTo(1);
    assertThat(fresh.recent()).containsExactly(turn(2));
  }

  @Test
  void expiredSessionsLeaveTheListingAndTheOldestIdleIsTheLeastRecentlyUsed() {
    Sessions s = store(10, 4, 1000);
    s.record("old", turn(1));
    advanceMillis(300);
    s.record("mid", turn(1));
    advanceMillis(300);
    s.record("new", turn(1));
    s.record("new", turn(2));
    advanceMillis(200);

    SessionListing l = s.list(10);
    assertThat(l.count()).isEqualTo(3);
    assertThat(l.oldestIdle()).isEqualTo(Duration.ofMillis(800));
    assertThat(l.sessions()).containsExactly(
        new SessionSummary("old", 1, 1, "intent1", Duration.ofMillis(800), Duration.ofMillis(800)),
        new SessionSummary("mid", 1, 1, "intent1", Duration.ofMillis(500), Duration.ofMillis(500)),
        new SessionSummary("new", 2, 2, "intent2", Duration.ofMillis(200), Duration.ofMillis(200)));

    advanceMillis(200); // old has been idle 1000 ms
    l = s.list(10);
    assertThat(ids(l)).containsExactly("mid", "new");
    assertThat(l.oldestIdle()).isEqualTo(Duration.ofMillis(700));
  }

  @Test
  void theListingIsBoundedByItsLimitButCountsEverySession() {
    Sessions s = store(10, 4, 60_000);
    for (String id : List.of("a", "b", "c", "d", "e")) {
      s.record(id, turn(1));
      advanceMillis(10);
    }
    SessionListing two = s.list(2);
    assertThat(two.count()).isEqualTo(5);
    assertThat(ids(two)).containsExactly("a", "b");
    assertThat(two.oldestIdle()).isEqualTo(Duration.ofMillis(50));
    SessionListing none = s.list(0);
    assertThat(none.count()).isEqualTo(5);
    assertThat(none.sessions()).isEmpty();
    assertThat(none.oldestIdle()).isEqualTo(Duration.ofMillis(50));
    // listing is not a use: the order stays
    assertThat(ids(s.list(10))).containsExactly("a", "b", "c", "d", "e");
  }

  @Test
  void endRemovesASessionAndAnIdWithNoLiveSessionIsUnknown() {
    Sessions s = store(10, 4, 1000);
    s.record("a", turn(1));
    s.record("a", turn(2));
    advanceMillis(5);
    SessionSummary ended = s.end("a");
    assertThat(ended.id()).isEqualTo("a");
    assertThat(ended.turns()).isEqualTo(2);
    assertThat(ended.idle()).isEqualTo(Duration.ofMillis(5));
    assertThat(s.use("a")).isEqualTo(History.NONE);
    assertThat(s.list(10).count()).isZero();
    assertThatThrownBy(() -> s.end("a")).isInstanceOf(UnknownSessionException.class)
        .hasMessageStartingWith("session_id: \"a\" (expected: a live session");

    s.record("b", turn(1));
    advanceMillis(1000);
    assertThatThrownBy(() -> s.end("b")).as("expired").isInstanceOf(UnknownSessionException.class);
  }

  @Test
  void concurrentTurnsAreEachCountedOnceAndTheBoundsHold() throws Exception {
    Sessions s = store(20, 5, 60_000);
    int threads = 4;
    int perThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            s.record("shared", turn(i));
            s.record("own-" + thread + "-" + (i % 40), turn(i)); // 160 ids through a store of 20
            s.use("shared");
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    SessionListing l = s.list(1000);
    assertThat(l.count()).isBetween(1, 20);
    assertThat(l.sessions()).allSatisfy(x -> assertThat(x.keptTurns()).isLessThanOrEqualTo(5));
    assertThat(s.use("shared").turns()).isEqualTo((long) threads * perThread);
  }
}
