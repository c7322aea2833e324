package io.junction.workers.repository;

import java.util.List;

/** A model name that the repository (or the worker) does not have. */
public class UnknownModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String model;

  public UnknownModelException(String model, String where, List<String> known) {
    super("model: \"" + model + "\" (expected: one of " + (known.isEmpty() ? "none" : String.join(", ", known))
        + " " + where + ")");
    this.model = model;
  }

  /** For a model that exists under another version, or any case the list form does not fit. */
  public UnknownModelException(String model, String message) {
    super(message);
    this.model = model;
  }

  public String model() {
    return model;
  }
}
