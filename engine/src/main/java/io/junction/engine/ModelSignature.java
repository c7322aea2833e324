package io.junction.engine;

import io.junction.tensor.TensorSpec;
import java.util.List;

/** A model's inputs and outputs as its server reports them (Open Inference Protocol metadata). */
public record ModelSignature(String name, List<TensorSpec> inputs, List<TensorSpec> outputs) {
  public ModelSignature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
