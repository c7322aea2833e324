package io.junction.engine;

/**
 * How many steps a run may execute, and how many its pipeline had executed before this run
 * started: a fused segment runs as a run of its own inside a worker, and carries the count of the
 * pipeline run it belongs to, so that the limit holds for the pipeline run as a whole. A model
 * call, a switch and a merge each count one step when they start; a loop counts one for each of
 * its iterations; a retried attempt is the same step. The orchestrator's config sets the limit
 * ({@code limits.max_steps_executed}), which bounds the work a request can cause (a loop that
 * never meets its stop value, many loops in a run).
 *
 * @param max            most steps the pipeline run may execute, counted from its start
 * @param executedBefore steps the pipeline run executed before this run started (0 for a whole run)
 */
public record StepLimit(int max, int executedBefore) {
  /** No limit. */
  public static final StepLimit NONE = new StepLimit(Integer.MAX_VALUE, 0);

  public StepLimit {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    if (executedBefore < 0 || executedBefore > max) {
      throw new IllegalArgumentException("executedBefore: " + executedBefore + " (expected: 0 to " + max + ")");
    }
  }

  /** A run of its own with this limit. */
  public static StepLimit of(int max) {
    return new StepLimit(max, 0);
  }

  /** The error of a run whose {@code executed}-th step would pass the limit. */
  StepLimitException exceeded(int executed) {
    return new StepLimitException("steps executed: " + executed + " (expected: <= " + max
        + ", each loop iteration counted; limits.max_steps_executed in the config)");
  }
}
