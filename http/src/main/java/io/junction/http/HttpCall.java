package io.junction.http;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP exchange as the routes see it: its body (bounded by the gRPC side's
 * max_message_bytes), the headers that become gRPC metadata and its deadline
 * ({@link #stub}), the wait for a gRPC answer (on an HTTP thread, never on an event loop), and
 * the answer, JSON or {@code {"error": ...}}.
 */
public final class HttpCall {
  public static final String JSON = "application/json";

  /** How much of a body too large is read (and dropped) so that the client still reads the 413. */
  static final long DISCARD_BYTES = 64L * 1024 * 1024;

  private final HttpExchange exchange;
  private final int maxBodyBytes;
  private final List<String> forwarded;

  /**
   * @param forwarded request headers passed on as gRPC metadata of the same name, where the
   *                  gRPC side reads and checks them (the orchestrator's priority)
   */
  HttpCall(HttpExchange exchange, int maxBodyBytes, List<String> forwarded) {
    this.exchange = exchange;
    this.maxBodyBytes = maxBodyBytes;
    this.forwarded = forwarded;
  }

  public HttpExchange exchange() {
    return exchange;
  }

  public String method() {
    return exchange.getRequestMethod();
  }

  public String header(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  /** The whole body; 413 past max_message_bytes, keeping no more of it than that. */
  public byte[] body() throws IOException {
    String length = header("Content-Length");
    long declared = -1;
    if (length != null) {
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw new HttpFailure(400, "Content-Length: " + length + " (expected: a number of bytes)");
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      if (declared > maxBodyBytes) {
        throw tooLarge(in, Long.toString(declared));
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        if (out.size() + n > maxBodyBytes) {
          throw tooLarge(in, "more than " + maxBodyBytes);
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }

  /**
   * 413, after reading and dropping the rest of the body (up to {@link #DISCARD_BYTES}): a server
   * that closes with a request's bytes unread resets the connection, and the client then loses
   * the answer. Beyond that bound the connection is closed all the same.
   */
  private HttpFailure tooLarge(InputStream in, String size) throws IOException {
    exchange.getResponseHeaders().set("Connection", "close");
    long skipped = 0;
    byte[] buf = new byte[8192];
    for (int n = in.read(buf); n >= 0 && skipped < DISCARD_BYTES; n = in.read(buf)) {
      skipped += n;
    }
    return new HttpFailure(413, "body: " + size + " bytes (expected: at most " + maxBodyBytes
        + ", limits.max_message_bytes, as for gRPC)");
  }

  /**
   * {@code stub} as this call makes its gRPC call: with the forwarded headers as metadata and
   * the caller's {@value GrpcTimeout#HEADER} as the deadline (none without the header).
   *
   * @throws HttpFailure 400 when a forwarded header is not printable ASCII or the timeout is malformed
   */
  public <S extends AbstractStub<S>> S stub(S stub) {
    S s = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata()));
    Long nanos = GrpcTimeout.nanos(header(GrpcTimeout.HEADER));
    return nanos == null ? s : s.withDeadline(Deadline.after(nanos, TimeUnit.NANOSECONDS));
  }

  /** The forwarded headers, checked by the gRPC side as for gRPC clients. */
  private Metadata metadata() {
    Metadata m = new Metadata();
    for (String name : forwarded) {
      String value = header(name);
      if (value != null) {
        try {
          m.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        } catch (IllegalArgumentException e) {
          throw HttpFailure.invalid(name + ": not printable ASCII (expected: a header value in ASCII)");
        }
      }
    }
    return m;
  }

  /** The value of a gRPC call, or its status as an {@link HttpFailure}. */
  public static <T> T await(ListenableFuture<T> call) {
    try {
      return call.get();
    } catch (ExecutionException e) {
      throw HttpFailure.of(Status.fromThrowable(e.getCause()));
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw HttpFailure.stopping();
    }
  }

  public void json(int status, JsonElement body) throws IOException {
    send(status, JSON, Json.bytes(body));
  }

  public void send(int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if ("HEAD".equals(method())) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The error body of KServe's REST form: {@code {"error": "<message>"}}. */
  public void fail(HttpFailure failure) throws IOException {
    if (failure.status() == 503 || failure.status() == 429) {
      exchange.getResponseHeaders().set("Retry-After", "1");
    }
    JsonObject body = new JsonObject();
    body.addProperty("error", failure.getMessage());
    json(failure.status(), body);
  }
}
