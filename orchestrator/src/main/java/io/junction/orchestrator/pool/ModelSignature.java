package io.junction.orchestrator.pool;

import io.junction.tensor.DataType;
import java.util.List;

/** A model's inputs and outputs as its replicas report them (Open Inference Protocol metadata). */
public record ModelSignature(String name, List<TensorSpec> inputs, List<TensorSpec> outputs) {
  public ModelSignature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** A tensor's name, datatype and shape; -1 is a dimension of any size. */
  public record TensorSpec(String name, DataType datatype, List<Long> shape) {
    public TensorSpec {
      shape = List.copyOf(shape);
    }
  }
}
