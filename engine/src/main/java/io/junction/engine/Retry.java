package io.junction.engine;

import java.util.List;

/**
 * A retry of a step's call: the number of the attempt it is (2 for the first retry) and how the
 * earlier attempts failed, oldest first, so that an invoker that places calls can send this one
 * elsewhere (another replica than those that failed) and count it against a retry budget.
 * Invokers that place nothing ignore it.
 */
public record Retry(int attempt, List<Throwable> failures) {
  public Retry {
    if (attempt < 2) {
      throw new IllegalArgumentException("attempt: " + attempt + " (expected: >= 2, a retry)");
    }
    failures = List.copyOf(failures);
  }

  /** The failure that this retry follows. */
  public Throwable last() {
    return failures.get(failures.size() - 1);
  }
}
