package io.junction.engine;

/** Base of the pipeline package's typed errors; the API's StatusMapper maps each subclass. */
public abstract class PipelineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected PipelineException(String message, Throwable cause) {
    super(message, cause);
  }
}
