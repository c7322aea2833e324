package io.junction.workers.serving;

import io.junction.tensor.Tensor;
import java.util.List;

/** The answer to an {@link InferRequest}: the outputs asked for, in the order asked. */
public record InferResult(String model, String version, List<Tensor> outputs) {
  public InferResult {
    outputs = List.copyOf(outputs);
  }
}
