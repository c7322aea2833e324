package io.junction.workers.serving;

/** The model exists but is not loaded (or is being unloaded) on this worker. */
public class ModelNotReadyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelNotReadyException(String model) {
    super("model: " + model + " is in the repository but not loaded on this worker (expected: a loaded model; "
        + "Load it first)");
  }
}
