package io.junction.orchestrator.pool;

/** No pool serves the model (NOT_FOUND). */
public final class UnknownModelException extends PoolException {
  private static final long serialVersionUID = 1L;

  public UnknownModelException(String model, java.util.Collection<String> known) {
    super("model: \"" + model + "\" (expected: one of " + known.stream().sorted().toList() + ")", null);
  }
}
