package io.junction.workers.runtime;

/**
 * The engine failed on inputs that passed every check of the model's contract, or returned
 * something the contract does not describe. A fault of the server or the model, not the caller.
 */
public class ModelExecutionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelExecutionException(String message) {
    super(message);
  }

  public ModelExecutionException(String message, Throwable cause) {
    super(message, cause);
  }
}
