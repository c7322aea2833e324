package io.junction.orchestrator.session;

import java.time.Duration;

/**
 * One session as an operator sees it.
 *
 * @param turns     every turn it has had
 * @param keptTurns the turns its history holds, at most {@link SessionConfig#maxTurns()}
 * @param idle      since it was last used
 * @param age       since its first turn
 */
public record SessionSummary(String id, long turns, int keptTurns, String previousIntent, Duration idle, Duration age) {}
