package io.junction.engine;

/**
 * A step failed; the first failure of a run ends it. The cause is the step's own error (a
 * pool error, a timeout, a bad tensor), which decides the status code; the message names the
 * pipeline and the step.
 */
public final class StepFailedException extends PipelineException {
  private static final long serialVersionUID = 1L;
  private final String pipeline;
  private final String step;

  public StepFailedException(String pipeline, String step, Throwable cause) {
    super("pipeline " + pipeline + ", step " + step + ": " + cause.getMessage(), cause);
    this.pipeline = pipeline;
    this.step = step;
  }

  public String pipeline() {
    return pipeline;
  }

  public String step() {
    return step;
  }
}
