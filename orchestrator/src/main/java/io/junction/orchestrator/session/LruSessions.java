package io.junction.orchestrator.session;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The session store: one access-ordered {@link LinkedHashMap} under one lock. Every use moves a
 * session to the end, so the map runs from the least recently used session to the most, which
 * is both the eviction order and the idle order: the map itself evicts its eldest entry when a
 * new session would exceed {@code maxSessions}, and expiry removes sessions from the eldest on
 * until one is still fresh (each session is removed once, so that costs O(1) a call amortised).
 * Expired sessions are removed when the store is next called; until then they count against the
 * bound like any other, so memory never exceeds it.
 *
 * <p>Every operation is a few map steps under the lock, called from gRPC handlers on the event
 * loops: nothing here blocks or does I/O. The clock is read under the lock too, so that the
 * map's order and the sessions' last-use times always agree.
 */
final class LruSessions implements Sessions {
  private final SessionConfig config;
  private final LongSupplier nanoClock;
  private final long idleTtlNanos;
  private final Object lock = new Object();
  @GuardedBy("lock") private final LinkedHashMap<String, Session> sessions;

  LruSessions(SessionConfig config, LongSupplier nanoClock) {
    this.config = Objects.requireNonNull(config, "config");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.idleTtlNanos = config.idleTtl().toNanos();
    int maxSessions = config.maxSessions();
    this.sessions = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
        return size() > maxSessions;
      }
    };
  }

  @Override
  public History use(String id) {
    synchronized (lock) {
      long now = nanoClock.getAsLong();
      expire(now);
      Session s = sessions.get(id);
      if (s == null) {
        return History.NONE;
      }
      s.touch(now);
      return s.history();
    }
  }

  @Override
  public void record(String id, Turn turn) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(turn, "turn");
    synchronized (lock) {
      long now = nanoClock.getAsLong();
      expire(now);
      Session s = sessions.get(id);
      if (s == null) {
        s = new Session(config.maxTurns(), now);
        sessions.put(id, s);
      }
      s.add(turn);
      s.touch(now);
    }
  }

  @Override
  public SessionSummary end(String id) {
    synchronized (lock) {
      long now = nanoClock.getAsLong();
      expire(now);
      Session s = sessions.remove(id);
      if (s == null) {
        throw new UnknownSessionException(id);
      }
      return s.summary(id, now);
    }
  }

  @Override
  public SessionListing list(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
    }
    synchronized (lock) {
      long now = nanoClock.getAsLong();
      expire(now);
      Duration oldestIdle = sessions.isEmpty()
          ? Duration.ZERO : Duration.ofNanos(now - sessions.values().iterator().next().lastUsedNanos());
      List<SessionSummary> some = new ArrayList<>(Math.min(limit, sessions.size()));
      // Iterating the entries does not count as access: the order stays as it is.
      for (Map.Entry<String, Session> e : sessions.entrySet()) {
        if (some.size() == limit) {
          break;
        }
        some.add(e.getValue().summary(e.getKey(), now));
      }
      return new SessionListing(sessions.size(), oldestIdle, some);
    }
  }

  /** Removes the sessions idle for the TTL or longer: all at the head of the map, the least recently used. */
  @GuardedBy("lock")
  private void expire(long now) {
    Iterator<Session> it = sessions.values().iterator();
    while (it.hasNext()) {
      if (now - it.next().lastUsedNanos() < idleTtlNanos) {
        return;
      }
      it.remove();
    }
  }
}
