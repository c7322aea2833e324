package io.junction.orchestrator.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One session's state: its latest turns in a ring that holds at most {@code maxTurns} (a new
 * turn overwrites the oldest once it is full; the ring grows to that size only as turns come, so
 * a short session costs little), the count of every turn, and when it was created and last used.
 * Not thread-safe: {@link LruSessions} holds its lock around every access.
 */
final class Session {
  private static final int INITIAL_CAPACITY = 4;

  private final int maxTurns;
  private final long createdNanos;
  private long lastUsedNanos;
  private long turns;
  private Turn[] ring;
  /** Where the next turn goes. */
  private int next;
  /** Turns held, at most ring.length. */
  private int kept;

  Session(int maxTurns, long nowNanos) {
    this.maxTurns = maxTurns;
    this.createdNanos = nowNanos;
    this.lastUsedNanos = nowNanos;
    this.ring = new Turn[Math.min(maxTurns, INITIAL_CAPACITY)];
  }

  void touch(long nowNanos) {
    lastUsedNanos = nowNanos;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  void add(Turn turn) {
    if (kept == ring.length && ring.length < maxTurns) {
      // Full but below its bound: grow, keeping the turns oldest first.
      Turn[] grown = Arrays.copyOf(recent().toArray(new Turn[0]), Math.min(maxTurns, ring.length * 2));
      ring = grown;
      next = kept;
    }
    ring[next] = turn;
    next = (next + 1) % ring.length;
    kept = Math.min(kept + 1, ring.length);
    turns++;
  }

  /** The turns held, oldest first. */
  List<Turn> recent() {
    List<Turn> out = new ArrayList<>(kept);
    int first = (next - kept + ring.length) % ring.length;
    for (int i = 0; i < kept; i++) {
      out.add(ring[(first + i) % ring.length]);
    }
    return out;
  }

  History history() {
    return new History(turns, recent());
  }

  SessionSummary summary(String id, long nowNanos) {
    String previousIntent = kept == 0 ? "" : ring[(next - 1 + ring.length) % ring.length].intent();
    return new SessionSummary(id, turns, kept, previousIntent, Duration.ofNanos(nowNanos - lastUsedNanos),
        Duration.ofNanos(nowNanos - createdNanos));
  }
}
