package io.junction.engine;

import io.junction.tensor.Tensor;
import java.util.List;

/**
 * Receives what a run produces before it ends, for streaming replies: each requested output as
 * soon as the step producing it is done, and each loop iteration's collected values as they come.
 * Called on the thread that completed the step's call (often a gRPC event loop), possibly from
 * steps that run at once on different threads: it must return quickly, never block, and
 * serialise what it shares. An exception it throws fails the run with that step named.
 */
@FunctionalInterface
public interface IterationListener {
  IterationListener NONE = (step, iteration, values) -> {};

  /**
   * Called in iteration order for each loop step.
   *
   * @param step      the loop step's name
   * @param iteration 0 for the first collected iteration
   * @param values    one tensor per {@code collect} output, named after it, first dimension 1
   */
  void onIteration(String step, int iteration, List<Tensor> values);

  /**
   * A requested output, as soon as the step producing it is done (one read straight from a
   * pipeline input: when the run starts), and before the steps that became ready with it start:
   * the intent a decode loop reads is told before the loop's first iteration. At most once per
   * output and run; every output is told before the run completes, and the result carries them
   * all again. The default ignores it.
   *
   * @param output the pipeline output's name
   * @param value  its value, named after the output
   */
  default void onOutput(String output, Tensor value) {}
}
