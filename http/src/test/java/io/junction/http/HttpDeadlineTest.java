package io.junction.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerLiveResponse;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The caller's deadline of an HTTP call as the gRPC side sees it: the {@code Grpc-Timeout}
 * header and Triton's {@code timeout} parameter become the call's deadline, a call that outlives
 * it is 504, and a malformed header is 400 before any call. Over an in-process service that
 * records the deadline it is called with (ServerLive answers, ModelInfer never does).
 */
class HttpDeadlineTest {
  private final List<Optional<Deadline>> seen = new CopyOnWriteArrayList<>();
  private Server grpc;
  private ManagedChannel channel;
  private HttpServer server;
  private HttpExchanges exchanges;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    grpc = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
          @Override
          public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
            seen.add(Optional.ofNullable(Context.current().getDeadline()));
            observer.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
            observer.onCompleted();
          }

          @Override
          public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
            seen.add(Optional.ofNullable(Context.current().getDeadline())); // and no answer: the deadline ends it
          }
        }).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    InferenceRoutes v2 = new InferenceRoutes(channel);
    exchanges = new HttpExchanges("test-http", 2, 4, 1024, List.of(), "a /v2 route");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/v2", ex -> exchanges.handOver(ex, (call, path) -> v2.serve(call, path.subList(1, path.size()))));
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
    exchanges.stop();
    channel.shutdownNow();
    grpc.shutdownNow();
  }

  @Test
  void withoutTheHeaderTheCallHasNoDeadline() throws Exception {
    assertThat(send(get("/v2/health/live")).statusCode()).isEqualTo(200);
    assertThat(seen).containsExactly(Optional.empty());
  }

  @Test
  void theHeaderBecomesTheCallsDeadline() throws Exception {
    assertThat(send(get("/v2/health/live").header("Grpc-Timeout", "30S")).statusCode()).isEqualTo(200);
    assertThat(seen).hasSize(1);
    long left = seen.get(0).orElseThrow().timeRemaining(TimeUnit.SECONDS);
    assertThat(left).isBetween(1L, 30L);
  }

  @Test
  void tritonsTimeoutParameterIsTheDeadlineWhenItIsTheEarlier() throws Exception {
    HttpResponse<String> r = send(post("/v2/models/m/infer",
        "{\"inputs\": [], \"parameters\": {\"timeout\": 200000}}").header("Grpc-Timeout", "1H"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).orElseThrow().timeRemaining(TimeUnit.MINUTES)).as("200 ms, not an hour").isZero();
  }

  @Test
  void aCallThatOutlivesItsDeadlineIs504WithTheDeadlineExceededMessage() throws Exception {
    HttpResponse<String> r = send(post("/v2/models/m/infer", "{\"inputs\": []}").header("Grpc-Timeout", "200m"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
    assertThat(error(r)).containsIgnoringCase("deadline");
  }

  @Test
  void aMalformedHeaderIs400BeforeAnyCall() throws Exception {
    HttpResponse<String> r = send(get("/v2/health/live").header("Grpc-Timeout", "2s"));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).isEqualTo("Grpc-Timeout: \"2s\" (expected: " + GrpcTimeout.EXPECTED + ")");
    assertThat(seen).isEmpty();
  }

  private HttpRequest.Builder get(String path) {
    return HttpRequest.newBuilder(uri(path)).GET();
  }

  private HttpRequest.Builder post(String path, String body) {
    return HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String error(HttpResponse<String> r) {
    return JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString();
  }
}
