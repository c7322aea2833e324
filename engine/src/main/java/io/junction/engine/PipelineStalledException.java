package io.junction.engine;

/**
 * A run ended with nothing in flight and outputs still missing: the steps that produce them
 * were skipped (a switch took another branch, or matched no case and had no default). The
 * request is not retryable as it is (suggested status: FAILED_PRECONDITION). The message
 * names the pipeline, the missing outputs and the skipped steps.
 */
public final class PipelineStalledException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public PipelineStalledException(String message) {
    super(message, null);
  }
}
