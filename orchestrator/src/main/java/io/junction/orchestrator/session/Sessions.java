package io.junction.orchestrator.session;

import java.util.function.LongSupplier;

/**
 * The conversations the orchestrator remembers, by session id: each one's turns (text, intent
 * and reply), bounded three ways ({@link SessionConfig}): turns per session (the oldest dropped),
 * idle time (a session unused that long is gone, and its id starts afresh), and number of
 * sessions (the least recently used evicted first). Thread-safe; memory is bounded by the
 * store's structure, whatever the traffic.
 *
 * <p>It knows nothing of pipelines or gRPC: the conversation service reads a session before a
 * turn and records the turn after its reply, and the admin service lists and ends sessions.
 */
public interface Sessions {

  /**
   * A store with these bounds.
   *
   * @param nanoClock monotonic time in nanoseconds ({@code System::nanoTime}); idle times are
   *                  measured on it
   */
  static Sessions create(SessionConfig config, LongSupplier nanoClock) {
    return new LruSessions(config, nanoClock);
  }

  /**
   * The session's history before a turn, marking the session used now. An id of no live session
   * (new, ended, expired or evicted) gives {@link History#NONE} and creates nothing: a session
   * exists once a turn is recorded.
   */
  History use(String id);

  /**
   * Appends a turn to the session, creating it if it does not exist (which may evict the least
   * recently used session), and marks it used now.
   */
  void record(String id, Turn turn);

  /**
   * Ends a session: its history is dropped and its id, used again, starts afresh.
   *
   * @return the session as it was
   * @throws UnknownSessionException when no live session has the id
   */
  SessionSummary end(String id);

  /** The live sessions: their count, the longest idle time, and at most {@code limit} of them, least recently used first. */
  SessionListing list(int limit);
}
