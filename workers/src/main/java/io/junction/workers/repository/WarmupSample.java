package io.junction.workers.repository;

import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * One warm-up request of a model ({@code warmup} in model.yaml): the worker runs it through the
 * path user requests take before the model reports ready, so that the first user request finds
 * the engine's session, predictors and kernels already initialised.
 *
 * @param name what the sample is called in messages and logs, unique within its model
 * @param inputs one tensor per input of the model, in the order model.yaml gives them
 */
public record WarmupSample(String name, List<Tensor> inputs) {
  public WarmupSample {
    Objects.requireNonNull(name, "name");
    inputs = List.copyOf(inputs);
  }
}
