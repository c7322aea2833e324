package io.junction.workers.repository;

import io.junction.tensor.DataType;
import java.util.List;
import java.util.Objects;

/**
 * One input or output of a model as {@code model.yaml} declares it. A dimension of -1 matches
 * any size; the first dimension is the batch.
 */
public record TensorSpec(String name, DataType datatype, List<Long> shape) {
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    shape = List.copyOf(shape);
  }

  public int rank() {
    return shape.size();
  }

  public long[] shapeArray() {
    long[] out = new long[shape.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = shape.get(i);
    }
    return out;
  }
}
