package io.junction.orchestrator.pipeline;

import io.junction.orchestrator.pool.ModelSignature.TensorSpec;
import java.util.List;

/** A compiled pipeline's public signature: its inputs, outputs and steps in topological order. */
public record PipelineDescription(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> steps) {
  public PipelineDescription {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
  }
}
