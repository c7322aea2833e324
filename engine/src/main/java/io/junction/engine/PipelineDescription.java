package io.junction.engine;

import io.junction.tensor.TensorSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A compiled pipeline's public signature: its inputs, outputs and steps in topological order,
 * the fused segments its steps were cut into, and where each output is read from (so that a
 * streaming caller knows which loop's iterations make up an output).
 *
 * @param sources each output's reference, {@code <step>.<output>} or {@code input.<name>}, by output name
 */
public record PipelineDescription(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> steps,
    List<Segment> segments, Map<String, TensorRef> sources) {
  public PipelineDescription {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
    segments = List.copyOf(segments);
    sources = Map.copyOf(sources);
  }

  public PipelineDescription(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> steps,
      List<Segment> segments) {
    this(name, inputs, outputs, steps, segments, Map.of());
  }

  public PipelineDescription(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> steps) {
    this(name, inputs, outputs, steps, List.of());
  }

  /** Where {@code output} is read from; empty for an output the pipeline does not have (or a description without sources). */
  public Optional<TensorRef> source(String output) {
    return Optional.ofNullable(sources.get(output));
  }

  /** Steps that run in one worker call: a plan id, the group (pool) whose workers run it, its steps in order. */
  public record Segment(String id, String group, List<String> steps) {
    public Segment {
      steps = List.copyOf(steps);
    }
  }
}
