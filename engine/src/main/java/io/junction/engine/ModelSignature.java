package io.junction.engine;

import io.junction.tensor.TensorSpec;
import java.util.List;

/**
 * A model's inputs and outputs as its server reports them (Open Inference Protocol metadata).
 *
 * @param source where the metadata was read, for messages (like {@code pool triton, member
 *     triton-0 at 10.0.0.5:8001}); empty when not known. A pipeline that does not fit a model's
 *     signature names it, since a server someone else runs may report a signature the pipeline's
 *     author did not expect.
 */
public record ModelSignature(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, String source) {
  public ModelSignature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    source = source == null ? "" : source;
  }

  public ModelSignature(String name, List<TensorSpec> inputs, List<TensorSpec> outputs) {
    this(name, inputs, outputs, "");
  }

  /** " (metadata from SOURCE)", or nothing when the source is not known: to append to messages. */
  public String origin() {
    return source.isEmpty() ? "" : " (metadata from " + source + ")";
  }
}
