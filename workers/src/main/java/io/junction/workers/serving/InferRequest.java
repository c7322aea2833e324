package io.junction.workers.serving;

import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * One inference as the serving layer sees it, decoded from the wire.
 *
 * @param model the model's name
 * @param version the wanted version; empty for the loaded one
 * @param inputs the input tensors
 * @param outputs names of the outputs wanted; empty for all, in model.yaml order
 */
public record InferRequest(String model, String version, List<Tensor> inputs, List<String> outputs) {
  public InferRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
