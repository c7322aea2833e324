package io.junction.orchestrator.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Power of two choices over the candidates that are not full. Each candidate's count is read
 * once, so a count that changes under us cannot make the comparison inconsistent.
 */
final class PowerOfTwoChoicesPicker implements Picker {
  private final int maxInFlight;
  private final RandomGenerator random;

  PowerOfTwoChoicesPicker(int maxInFlight, RandomGenerator random) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
    }
    this.maxInFlight = maxInFlight;
    this.random = Objects.requireNonNull(random, "random");
  }

  @Override
  public <T extends Candidate> Optional<T> pick(List<T> candidates) {
    int n = candidates.size();
    List<T> open = new ArrayList<>(n);
    int[] counts = new int[n];
    for (T c : candidates) {
      int inFlight = c.inFlight();
      if (inFlight < maxInFlight) {
        counts[open.size()] = inFlight;
        open.add(c);
      }
    }
    int m = open.size();
    if (m == 0) {
      return Optional.empty();
    }
    if (m == 1) {
      return Optional.of(open.get(0));
    }
    int first = random.nextInt(m);
    // Draw the second from the other m - 1 so that the two are always distinct.
    int second = random.nextInt(m - 1);
    if (second >= first) {
      second++;
    }
    return Optional.of(counts[second] < counts[first] ? open.get(second) : open.get(first));
  }

  @Override
  public String toString() {
    return "leastOutstanding(powerOfTwoChoices, maxInFlight=" + maxInFlight + ")";
  }
}
