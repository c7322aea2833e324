package io.junction.tensor;

import java.util.List;
import java.util.Objects;

/**
 * A tensor's name, datatype and shape as a signature declares it; -1 is a dimension of any size.
 * Shared by the processes: what a model's metadata reports and what a pipeline declares.
 */
public record TensorSpec(String name, DataType datatype, List<Long> shape) {
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    shape = List.copyOf(shape);
  }
}
