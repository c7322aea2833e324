package io.junction.engine;

import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * @param defaults the value of each input a caller may leave out, by input name: what a run
 *                 without that input gets (the compiler checks it against the input's datatype
 *                 and shape); inputs not named here are required
 */
public record PipelineSpec(String name, List<TensorSpec> inputs, List<Output> outputs, List<StepSpec> steps, boolean fuse,
    Map<String, Tensor> defaults) {
  public PipelineSpec {
    Objects.requireNonNull(name, "name");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
    defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
  }

  /** A pipeline whose inputs are all required. */
  public PipelineSpec(String name, List<TensorSpec> inputs, List<Output> outputs, List<StepSpec> steps, boolean fuse) {
    this(name, inputs, outputs, steps, fuse, Map.of());
  }

  /** A pipeline that may be fused, whose inputs are all required. */
  public PipelineSpec(String name, List<TensorSpec> inputs, List<Output> outputs, List<StepSpec> steps) {
    this(name, inputs, outputs, steps, true);
  }

  public PipelineSpec withFuse(boolean fuse) {
    return new PipelineSpec(name, inputs, outputs, steps, fuse, defaults);
  }

  /** A pipeline output: its name and the tensor it comes from. */
  public record Output(String name, TensorRef from) {
    public Output {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(from, "from");
    }
  }
}
