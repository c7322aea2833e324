package io.junction.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Cuts a status description to {@value #MAX_CHARS} characters before it is sent. Messages of
 * the form {@code name: value (expected: ...)} echo what the client sent, and a value can be a
 * 300,000-character string: sent whole, the description goes into the {@code grpc-message}
 * trailer, beyond the 8 KiB of metadata a grpc-java client accepts, and that client fails the
 * whole connection ({@code INTERNAL: http2 exception}), every other call on it included.
 *
 * <p>{@value #MAX_CHARS} characters are at most 4.5 KiB once UTF-8 and percent-encoded. It
 * changes nothing else of the status, and never touches messages.
 */
public final class ShortStatusMessages implements ServerInterceptor {
  /** Longest description sent, in UTF-16 characters. */
  public static final int MAX_CHARS = 512;

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        super.close(shortened(status), trailers);
      }
    }, headers);
  }

  /** The status with its description cut to {@link #MAX_CHARS}, saying how much was cut. */
  public static Status shortened(Status status) {
    String d = status.getDescription();
    if (d == null || d.length() <= MAX_CHARS) {
      return status;
    }
    int end = MAX_CHARS - 40; // room for the marker
    if (Character.isHighSurrogate(d.charAt(end - 1))) {
      end--; // never half a surrogate pair
    }
    return status.withDescription(d.substring(0, end) + "... (" + (d.length() - end) + " more characters)");
  }
}
