package io.junction.workers.serving;

/** An inference request that does not match its model's contract. Always the caller's mistake. */
public class InvalidInferRequestException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidInferRequestException(String message) {
    super(message);
  }
}
