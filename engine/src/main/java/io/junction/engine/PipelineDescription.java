package io.junction.engine;

import io.junction.tensor.TensorSpec;
import java.util.List;

/**
 * A compiled pipeline's public signature: its inputs, outputs and steps in topological order,
 * and the fused segments its steps were cut into.
 */
public record PipelineDescription(
    String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> steps, List<Segment> segments) {
  public PipelineDescription {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
    segments = List.copyOf(segments);
  }

  public PipelineDescription(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> steps) {
    this(name, inputs, outputs, steps, List.of());
  }

  /** Steps that run in one worker call: a plan id, the group (pool) whose workers run it, its steps in order. */
  public record Segment(String id, String group, List<String> steps) {
    public Segment {
      steps = List.copyOf(steps);
    }
  }
}
