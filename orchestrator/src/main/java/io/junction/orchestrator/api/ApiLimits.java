package io.junction.orchestrator.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What the typed services accept, taken from the config's limits at start. The api package
 * does not read config itself (nothing on the right of the package map imports the left), so
 * the wiring copies the values here.
 *
 * @param maxTextChars    longest utterance {@code Converse} accepts, in characters after trimming
 * @param maxK            most items {@code Recommend} returns
 * @param defaultDeadline deadline of a call that arrives without one
 */
public record ApiLimits(int maxTextChars, int maxK, Duration defaultDeadline) {
  /** The demo's limits; also what tests use. */
  public static final ApiLimits DEFAULT = new ApiLimits(2000, 50, Duration.ofSeconds(30));

  public ApiLimits {
    Objects.requireNonNull(defaultDeadline, "defaultDeadline");
    if (maxTextChars < 1) {
      throw new IllegalArgumentException("maxTextChars: " + maxTextChars + " (expected: >= 1)");
    }
    if (maxK < 1) {
      throw new IllegalArgumentException("maxK: " + maxK + " (expected: >= 1)");
    }
    if (defaultDeadline.isNegative() || defaultDeadline.isZero()) {
      throw new IllegalArgumentException("defaultDeadline: " + defaultDeadline + " (expected: > 0)");
    }
  }
}
