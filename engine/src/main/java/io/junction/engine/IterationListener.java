package io.junction.engine;

import io.junction.tensor.Tensor;
import java.util.List;

/**
 * Receives each loop iteration's collected values as they come, for streaming replies. Called
 * in iteration order for each loop step, on the thread that completed the model call (often a
 * gRPC event loop): it must return quickly and never block. An exception it throws fails the
 * run with that step named.
 */
@FunctionalInterface
public interface IterationListener {
  IterationListener NONE = (step, iteration, values) -> {};

  /**
   * @param step      the loop step's name
   * @param iteration 0 for the first collected iteration
   * @param values    one tensor per {@code collect} output, named after it, first dimension 1
   */
  void onIteration(String step, int iteration, List<Tensor> values);
}
