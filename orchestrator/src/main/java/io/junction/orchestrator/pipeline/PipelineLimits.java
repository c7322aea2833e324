package io.junction.orchestrator.pipeline;

/**
 * What every pipeline run of the orchestrator may do, copied from the config's {@code limits} by
 * the wiring (the pipeline package does not read config).
 *
 * @param maxStepsExecuted most steps one run executes, each loop iteration counted
 *                         ({@code limits.max_steps_executed}; see {@link io.junction.engine.StepLimit})
 */
public record PipelineLimits(int maxStepsExecuted) {
  public static final PipelineLimits DEFAULT = new PipelineLimits(10_000);

  public PipelineLimits {
    if (maxStepsExecuted < 1) {
      throw new IllegalArgumentException("maxStepsExecuted: " + maxStepsExecuted + " (expected: >= 1)");
    }
  }
}
