package io.junction.orchestrator.http;

import com.google.gson.JsonObject;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.junction.http.HttpCall;
import io.junction.http.HttpFailure;
import io.junction.http.Json;
import io.junction.proto.v1.ConversationServiceGrpc.ConversationServiceStub;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code POST /v1/converse:stream}: the events of the gRPC {@code ConverseStream} as
 * Server-Sent Events, one {@code data:} line of protobuf JSON each, as the gRPC stream sends
 * them. Until the first event the answer can still be an HTTP error (a request that fails its
 * checks is 400, as for the unary route); after it, a failure is a last event named
 * {@code error} with {@code {"error", "status"}}.
 *
 * <p>The gRPC side delivers on its event loop and must not wait: it only puts into a queue, and
 * the HTTP thread writes. Flow control keeps that queue short: the next event is asked for only
 * when the previous one is written, so a slow reader holds back the stream, not memory. A
 * reader that goes away cancels the call, and the pipeline with it.
 */
final class ConverseSse {
  private ConverseSse() {}

  /** What the event loop hands the HTTP thread: an event, or the end of the call (OK or not). */
  private record Item(ConverseEvent event, Status end) {}

  static void stream(HttpCall call, ConversationServiceStub stub, ConverseRequest request) throws IOException {
    BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    AtomicReference<ClientCallStreamObserver<ConverseRequest>> grpc = new AtomicReference<>();
    stub.converseStream(request, new ClientResponseObserver<ConverseRequest, ConverseEvent>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<ConverseRequest> stream) {
        grpc.set(stream);
        stream.disableAutoRequestWithInitial(1);
      }

      @Override
      public void onNext(ConverseEvent event) {
        items.add(new Item(event, null));
      }

      @Override
      public void onError(Throwable t) {
        items.add(new Item(null, Status.fromThrowable(t)));
      }

      @Override
      public void onCompleted() {
        items.add(new Item(null, Status.OK));
      }
    });
    OutputStream out = null;
    try {
      while (true) {
        Item item = take(items, grpc.get());
        if (item.event() == null && out == null && !item.end().isOk()) {
          throw HttpFailure.of(item.end()); // nothing sent yet: a plain HTTP error
        }
        if (out == null) {
          call.exchange().getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
          call.exchange().getResponseHeaders().set("Cache-Control", "no-cache");
          call.exchange().sendResponseHeaders(200, 0);
          out = call.exchange().getResponseBody();
        }
        if (item.event() != null) {
          write(out, null, TypedRoutes.print(item.event()));
          grpc.get().request(1);
          continue;
        }
        if (!item.end().isOk()) {
          HttpFailure f = HttpFailure.of(item.end());
          JsonObject e = new JsonObject();
          e.addProperty("error", f.getMessage());
          e.addProperty("status", f.status());
          write(out, "error", Json.bytes(e));
        }
        return;
      }
    } catch (IOException gone) {
      grpc.get().cancel("HTTP client went away", gone);
      throw gone;
    } finally {
      if (out != null) {
        out.close();
      }
    }
  }

  private static Item take(BlockingQueue<Item> items, ClientCallStreamObserver<ConverseRequest> grpc) {
    try {
      return items.take();
    } catch (InterruptedException e) {
      grpc.cancel("server stopping", e);
      Thread.currentThread().interrupt();
      throw HttpFailure.stopping();
    }
  }

  private static void write(OutputStream out, String event, byte[] json) throws IOException {
    StringBuilder head = new StringBuilder();
    if (event != null) {
      head.append("event: ").append(event).append('\n');
    }
    head.append("data: ");
    out.write(head.toString().getBytes(StandardCharsets.UTF_8));
    out.write(json); // one line: the printer writes no newlines
    out.write("\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
