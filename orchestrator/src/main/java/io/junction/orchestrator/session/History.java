package io.junction.orchestrator.session;

import java.util.List;

/**
 * What a session holds when a turn starts: the turns it has had and the latest of them, oldest
 * first. A copy: later turns do not change it.
 *
 * @param turns  every turn the session has had, also those its history has dropped
 * @param recent the latest turns, at most {@link SessionConfig#maxTurns()}, oldest first
 */
public record History(long turns, List<Turn> recent) {
  /** A session that does not exist (yet, or any more): no turns. */
  public static final History NONE = new History(0, List.of());

  public History {
    recent = List.copyOf(recent);
  }

  /** The intent of the last turn, "" when there was none. */
  public String previousIntent() {
    return recent.isEmpty() ? "" : recent.get(recent.size() - 1).intent();
  }
}
