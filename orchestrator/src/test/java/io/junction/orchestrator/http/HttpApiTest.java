package io.junction.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerLiveResponse;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.inference.ServerReadyResponse;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpApi} over an in-process gRPC service that holds its answers: the bounds of the
 * HTTP threads and queue, and what reaches the gRPC side (the priority header, the status).
 */
class HttpApiTest {
  private static final int THREADS = 2;
  private static final int QUEUE = 3;

  /** ServerLive calls held until the test answers them. */
  private final ConcurrentLinkedQueue<StreamObserver<ServerLiveResponse>> held = new ConcurrentLinkedQueue<>();
  private final List<String> priorities = new CopyOnWriteArrayList<>();
  private Server grpc;
  private ManagedChannel channel;
  private HttpServer server;
  private HttpApi api;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase service = new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
      @Override
      public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
        held.add(observer);
      }

      @Override
      public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
        observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("admission: full (expected: fewer)").asRuntimeException());
      }
    };
    grpc = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
              Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            String p = headers.get(Metadata.Key.of("junction-priority", Metadata.ASCII_STRING_MARSHALLER));
            priorities.add(p == null ? "" : p);
            return next.startCall(call, headers);
          }
        })).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    api = new HttpApi(channel, 1024, THREADS, QUEUE);
    api.register(server);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
    api.stop();
    channel.shutdownNow();
    grpc.shutdownNow();
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30)).header("junction-priority", "batch").GET().build();
  }

  @Test
  void callsBeyondTheThreadsAndTheQueueAre503AtOnceAndTheHeldOnesStillAnswer() throws Exception {
    int extra = 4;
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < THREADS + QUEUE + extra; i++) {
      calls.add(http.sendAsync(get("/v2/health/live"), HttpResponse.BodyHandlers.ofString()));
    }
    // the threads wait on held gRPC calls and the queue is full: only the calls beyond them end
    for (int i = 0; i < 1000 && (held.size() < THREADS || calls.stream().filter(CompletableFuture::isDone).count() < extra); i++) {
      Thread.sleep(10);
    }
    assertThat(held).as("every thread waits on a held gRPC call").hasSize(THREADS);
    List<HttpResponse<String>> refused = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : calls) {
      if (f.isDone()) {
        refused.add(f.get());
      }
    }
    assertThat(refused).hasSize(extra).allSatisfy(r -> {
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString())
          .contains("overloaded: more than " + QUEUE);
      assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    });
    // answer the held calls, and the queued ones as they reach a thread
    for (int i = 0; i < 1000 && calls.stream().anyMatch(f -> !f.isDone()); i++) {
      StreamObserver<ServerLiveResponse> o;
      while ((o = held.poll()) != null) {
        o.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
        o.onCompleted();
      }
      Thread.sleep(10);
    }
    long ok = 0;
    for (CompletableFuture<HttpResponse<String>> f : calls) {
      if (f.get(10, TimeUnit.SECONDS).statusCode() == 200) {
        ok++;
      }
    }
    assertThat(ok).as("the calls that ran or waited in the queue").isEqualTo(THREADS + QUEUE);
    assertThat(priorities).as("the header reaches the gRPC side as metadata").hasSize(THREADS + QUEUE)
        .allMatch("batch"::equals);
  }

  @Test
  void aGrpcStatusBecomesItsHttpStatusWithTheDescriptionAsTheError() throws Exception {
    HttpResponse<String> r = http.send(get("/v2/health/ready"), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.body()).isEqualTo("{\"error\":\"admission: full (expected: fewer)\"}");
  }
}
