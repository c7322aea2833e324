package io.junction.orchestrator.pipeline;

import io.junction.tensor.Tensor;
import java.util.List;

/** The outputs of one run, in the pipeline's declared order, and what each step cost. */
public record PipelineResult(String pipeline, List<Tensor> outputs, List<StepTiming> steps) {
  public PipelineResult {
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
  }

  public Tensor output(String name) {
    return outputs.stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no output " + name + " in " + pipeline));
  }

  public record StepTiming(String step, long micros, int attempts) {}
}
