package io.junction.http;

import io.grpc.Status;

/**
 * The one map from gRPC status codes to HTTP status codes, for every HTTP route: the REST side
 * answers with the code the gRPC side would have given, translated here and nowhere else. It
 * follows google.rpc.Code's documented HTTP mapping, so FAILED_PRECONDITION is 400 (not 412:
 * 412 speaks of HTTP conditional headers, which these routes do not use) and CANCELLED is 499.
 */
public final class HttpStatuses {
  private HttpStatuses() {}

  public static int of(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      case INTERNAL, UNKNOWN, DATA_LOSS -> 500;
    };
  }
}
