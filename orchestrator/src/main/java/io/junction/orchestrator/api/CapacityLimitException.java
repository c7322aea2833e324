package io.junction.orchestrator.api;

/**
 * A configured capacity limit is reached (open streams): RESOURCE_EXHAUSTED, so that the client
 * backs off and tries again later. The message names the limit, its value and its config key.
 * Public because the server's interceptors refuse calls with it, through the {@link StatusMapper}.
 */
public final class CapacityLimitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CapacityLimitException(String message) {
    super(message, null, false, false);
  }
}
