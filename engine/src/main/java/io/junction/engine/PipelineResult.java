package io.junction.engine;

import io.junction.tensor.Tensor;
import java.util.List;

/**
 * The outputs of one run, in the pipeline's declared order, what each step cost, and how many
 * steps the run executed as {@link StepLimit} counts them.
 */
public record PipelineResult(String pipeline, List<Tensor> outputs, List<StepTiming> steps, int stepsExecuted) {
  public PipelineResult {
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
  }

  /** A result whose steps each executed once (no loop among them). */
  public PipelineResult(String pipeline, List<Tensor> outputs, List<StepTiming> steps) {
    this(pipeline, outputs, steps, steps.size());
  }

  public Tensor output(String name) {
    return outputs.stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no output " + name + " in " + pipeline));
  }

  /**
   * What one step cost.
   *
   * @param segment the fused segment the step ran in, or empty when it ran on its own
   * @param ranOn   where it ran: a segment's replica, a model step's pool, or {@link #ORCHESTRATOR}
   */
  public record StepTiming(String step, long micros, int attempts, String segment, String ranOn) {
    /** Where switches and merges outside a segment run. */
    public static final String ORCHESTRATOR = "orchestrator";

    public StepTiming(String step, long micros, int attempts) {
      this(step, micros, attempts, "", "");
    }
  }
}
