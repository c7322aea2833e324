package io.junction.engine;

/**
 * A run was about to execute more steps than its {@link StepLimit} allows, and stopped there. The
 * same request would do the same again: suggested status FAILED_PRECONDITION. The message names
 * the count, the limit and its config key; the run's error ({@link StepFailedException}) names
 * the step that would have passed it.
 */
public final class StepLimitException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public StepLimitException(String message) {
    super(message, null);
  }
}
