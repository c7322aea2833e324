package io.junction.engine;

/** The request's tensors do not match the pipeline's declared inputs (INVALID_ARGUMENT). */
public final class PipelineInputException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public PipelineInputException(String message) {
    super(message, null);
  }
}
