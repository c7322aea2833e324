package io.junction.orchestrator.session;

import java.time.Duration;
import java.util.List;

/**
 * The live sessions: how many, how long the least recently used one has been idle, and some of
 * them, least recently used first (the next to be evicted or to expire).
 */
public record SessionListing(int count, Duration oldestIdle, List<SessionSummary> sessions) {
  public SessionListing {
    sessions = List.copyOf(sessions);
  }
}
