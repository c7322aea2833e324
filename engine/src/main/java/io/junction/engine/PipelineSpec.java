package io.junction.engine;

import io.junction.tensor.TensorSpec;
import java.util.List;
import java.util.Objects;

/**
 * One pipeline as configured, before compilation: what the config loader parses and
 * {@link CompiledPipelines#compile} checks against the models' signatures. Immutable; carries no
 * validation beyond non-null parts, because the compiler reports problems with context.
 *
 * @param inputs  the tensors a caller gives: name, datatype and shape (-1 matches any size)
 * @param outputs the tensors a caller gets back, each taken from a step's output
 * @param steps   the steps in the order written; the compiler orders them by their inputs
 * @param fuse    whether steps whose models live in one pool of Junction workers may run as
 *                fused segments, one worker call each (the default); false runs every step
 *                on its own, for measurement and debugging
 */
public record PipelineSpec(String name, List<TensorSpec> inputs, List<Output> outputs, List<StepSpec> steps, boolean fuse) {
  public PipelineSpec {
    Objects.requireNonNull(name, "name");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
  }

  /** A pipeline that may be fused. */
  public PipelineSpec(String name, List<TensorSpec> inputs, List<Output> outputs, List<StepSpec> steps) {
    this(name, inputs, outputs, steps, true);
  }

  public PipelineSpec withFuse(boolean fuse) {
    return new PipelineSpec(name, inputs, outputs, steps, fuse);
  }

  /** A pipeline output: its name and the tensor it comes from. */
  public record Output(String name, TensorRef from) {
    public Output {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(from, "from");
    }
  }
}
