package io.junction.orchestrator.session;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of the session store, from the config's {@code sessions} block (validated there
 * with the path in the file; checked again here only against programming mistakes).
 *
 * @param maxSessions most sessions kept; one more evicts the least recently used
 * @param maxTurns    most turns a session's history keeps; one more drops its oldest
 * @param idleTtl     a session not used for this long is gone: its next request starts afresh
 */
public record SessionConfig(int maxSessions, int maxTurns, Duration idleTtl) {
  public static final int MAX_SESSIONS_LIMIT = 1_000_000;
  public static final int MAX_TURNS_LIMIT = 1_000;
  /** Seven days. */
  public static final long MAX_IDLE_TTL_MS = 604_800_000L;

  /**
   * The defaults: 10,000 sessions of 16 turns, gone after 30 minutes idle. A turn holds its text
   * (at most {@code limits.max_text_chars}), intent and reply, so the store holds at most
   * 160,000 turns, a few tens of MB with the demo's short utterances. Declared after the limits
   * it is checked against.
   */
  public static final SessionConfig DEFAULT = new SessionConfig(10_000, 16, Duration.ofMinutes(30));

  public SessionConfig {
    Objects.requireNonNull(idleTtl, "idleTtl");
    if (maxSessions < 1 || maxSessions > MAX_SESSIONS_LIMIT) {
      throw new IllegalArgumentException("sessions.max_sessions: " + maxSessions
          + " (expected: 1 to " + MAX_SESSIONS_LIMIT + ")");
    }
    if (maxTurns < 1 || maxTurns > MAX_TURNS_LIMIT) {
      throw new IllegalArgumentException("sessions.max_turns: " + maxTurns + " (expected: 1 to " + MAX_TURNS_LIMIT + ")");
    }
    if (idleTtl.toMillis() < 1 || idleTtl.toMillis() > MAX_IDLE_TTL_MS) {
      throw new IllegalArgumentException("sessions.idle_ttl_ms: " + idleTtl.toMillis()
          + " (expected: 1 to " + MAX_IDLE_TTL_MS + ")");
    }
  }
}
