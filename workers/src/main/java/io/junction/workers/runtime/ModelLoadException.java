package io.junction.workers.runtime;

/** A model could not be loaded, or its SavedModel does not match its model.yaml. Retrying does not help. */
public class ModelLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
