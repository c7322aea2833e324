package io.junction.engine;

/**
 * A step ran out of time: its own timeout, or what was left of the request's deadline
 * (DEADLINE_EXCEEDED).
 */
public final class StepTimeoutException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public StepTimeoutException(String message) {
    super(message, null);
  }
}
