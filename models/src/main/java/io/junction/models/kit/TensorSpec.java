package io.junction.models.kit;

import java.util.List;

/**
 * One input or output of a model's {@code serving_default} signature, as model.yaml states it.
 *
 * @param name the signature key
 * @param datatype its Open Inference Protocol datatype
 * @param shape its dimensions; -1 marks a dimension of any size (always the first, the batch)
 */
public record TensorSpec(String name, DataType datatype, List<Long> shape) {
  public TensorSpec {
    if (shape.isEmpty() || shape.get(0) != -1L) {
      throw new IllegalArgumentException(name + ".shape: " + shape + " (expected: first dimension -1)");
    }
    shape = List.copyOf(shape);
  }

  public static TensorSpec of(String name, DataType datatype, long... dims) {
    return new TensorSpec(name, datatype, java.util.Arrays.stream(dims).boxed().toList());
  }
}
