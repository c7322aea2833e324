package io.junction.engine;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Per-request knobs of one run.
 *
 * @param outputs       outputs to return; empty means all
 * @param maxIterations caps every loop step of the run below its configured maximum
 * @param affinityKey   names what the run belongs to (a session), so that the invoker can send
 *                      every call and segment of the runs of one key to one replica
 *                      ({@link ModelInvoker#infer(String, List, List, long, String)}); an empty
 *                      key is none
 * @param steps         how many steps the run may execute ({@link StepLimit})
 */
public record RunOptions(List<String> outputs, OptionalInt maxIterations, Optional<String> affinityKey, StepLimit steps) {
  public static final RunOptions DEFAULT = new RunOptions(List.of(), OptionalInt.empty());

  /** Options without an affinity key. */
  public RunOptions(List<String> outputs, OptionalInt maxIterations) {
    this(outputs, maxIterations, Optional.empty());
  }

  /** Options without a step limit. */
  public RunOptions(List<String> outputs, OptionalInt maxIterations, Optional<String> affinityKey) {
    this(outputs, maxIterations, affinityKey, StepLimit.NONE);
  }

  public RunOptions {
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(maxIterations);
    affinityKey = affinityKey.filter(k -> !k.isEmpty());
    Objects.requireNonNull(steps);
  }

  /** These options for a run of {@code key}; an empty key is none. */
  public RunOptions withAffinityKey(String key) {
    return new RunOptions(outputs, maxIterations, Optional.of(key), steps);
  }

  /** These options with this step limit. */
  public RunOptions withSteps(StepLimit limit) {
    return new RunOptions(outputs, maxIterations, affinityKey, limit);
  }
}
