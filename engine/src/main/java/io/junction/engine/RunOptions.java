package io.junction.engine;

import java.util.List;
import java.util.OptionalInt;

/**
 * Per-request knobs of one run.
 *
 * @param outputs       outputs to return; empty means all
 * @param maxIterations caps every loop step of the run below its configured maximum
 */
public record RunOptions(List<String> outputs, OptionalInt maxIterations) {
  public static final RunOptions DEFAULT = new RunOptions(List.of(), OptionalInt.empty());

  public RunOptions {
    outputs = List.copyOf(outputs);
  }
}
