package io.junction.http;

import io.grpc.Status;

/**
 * An HTTP request that ends in an error answer: its HTTP status and the message of the
 * {@code {"error": ...}} body. Made from a gRPC status (through {@link HttpStatuses}) or, for
 * what only HTTP has (a body too large, an unknown route, a wrong method), given directly.
 */
public final class HttpFailure extends RuntimeException {
  private final int status;

  public HttpFailure(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** INVALID_ARGUMENT, as the gRPC side answers a request it cannot read. */
  public static HttpFailure invalid(String message) {
    return of(Status.INVALID_ARGUMENT.withDescription(message));
  }

  /** The answer of a call whose thread is interrupted: the server is stopping. */
  public static HttpFailure stopping() {
    return new HttpFailure(503, "server stopping (expected: retry on another server)");
  }

  public static HttpFailure of(Status status) {
    String message = status.getDescription() != null ? status.getDescription() : status.getCode().name();
    return new HttpFailure(HttpStatuses.of(status.getCode()), message);
  }

  public int status() {
    return status;
  }
}
