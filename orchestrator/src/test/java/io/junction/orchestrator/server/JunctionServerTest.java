package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;
import io.junction.grpc.EventLoops;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.junction.grpc.RawCalls;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.FakePools;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.tensor.Tensor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real Netty and HTTP servers on loopback, over fake pools and pipelines. */
class JunctionServerTest {
  private static final FakePools pools = new FakePools();
  private static final FakePipelines pipelines = new FakePipelines();
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final EventLoops loops = EventLoops.create("test-grpc", 1);
  private static JunctionServer server;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    pipelines.put(FakePipelines.chat(), (in, o, d) -> FakePipelines.done("chat",
        Tensor.ofStrings("intent", new long[] {1}, List.of("greet")),
        Tensor.ofFloats("confidence", new long[] {1}, 0.9f),
        Tensor.ofStrings("tokens", new long[] {1}, List.of("hi"))));
    server = new JunctionServer(new ServerOptions("127.0.0.1", 0, 0, 64 * 1024, Duration.ofSeconds(1)),
        pools, pipelines, ApiLimits.DEFAULT, loops).start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
    loops.close();
  }

  @BeforeEach
  void readyPools() {
    pools.snapshot(List.of(FakePools.pool("conversation", List.of("intent"), "READY", "STARTING"),
        FakePools.pool("recommendation", List.of("ranker"), "READY")));
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheTypedServicesOverLoopback() {
    var conversation = ConversationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(conversation.converse(ConverseRequest.newBuilder().setText("hello").build()).getReply()).isEqualTo("hi");
    var admin = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(admin.listPools(ListPoolsRequest.getDefaultInstance()).getPoolsCount()).isEqualTo(2);
    var oip = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
  }

  @Test
  void everyServiceIsServingInGrpcHealth() {
    var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    for (String service : List.of("", "junction.v1.ConversationService", "junction.v1.RecommendationService",
        "junction.v1.PipelineService", "junction.v1.AdminService", "inference.GRPCInferenceService")) {
      assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
          .as(service).isEqualTo(ServingStatus.SERVING);
    }
  }

  @Test
  void reflectionListsTheServices() throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override public void onNext(ServerReflectionResponse r) { answer.complete(r); }
          @Override public void onError(Throwable t) { answer.completeExceptionally(t); }
          @Override public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    List<String> names = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(ServiceResponse::getName).toList();
    assertThat(names).contains("junction.v1.ConversationService", "inference.GRPCInferenceService", "grpc.health.v1.Health");
  }

  @Test
  void healthzIsOkAndReadyzFollowsThePools() throws Exception {
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    pools.snapshot(List.of(FakePools.pool("conversation", List.of("intent"), "READY"),
        FakePools.pool("recommendation", List.of("ranker"), "RESTARTING", "FAILED")));
    HttpResponse<String> notReady = get("/readyz");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.body()).contains("no READY replica");
    assertThat(get("/nothing").statusCode()).isEqualTo(404);
    assertThat(get("/metricsx").statusCode()).isEqualTo(404);
  }

  @Test
  void metricsCountReplicasByStateAndCallsByOutcome() throws Exception {
    var conversation = ConversationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    conversation.converse(ConverseRequest.newBuilder().setText("hello").build());
    assertThatThrownBy(() -> conversation.converse(ConverseRequest.newBuilder().setText(" ").build()))
        .isInstanceOf(StatusRuntimeException.class);
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    String text = r.body();
    assertThat(text)
        .contains("junction_replicas{pool=\"conversation\",state=\"READY\"} 1\n")
        .contains("junction_replicas{pool=\"conversation\",state=\"STARTING\"} 1\n")
        .contains("junction_replicas{pool=\"recommendation\",state=\"FAILED\"} 0\n")
        .contains("# TYPE junction_requests_total counter\n")
        .containsPattern("junction_requests_total\\{service=\"junction.v1.ConversationService\",outcome=\"OK\"} [1-9]")
        .containsPattern("junction_requests_total\\{service=\"junction.v1.ConversationService\",outcome=\"INVALID_ARGUMENT\"} [1-9]")
        .containsPattern("junction_request_seconds_count\\{service=\"junction.v1.ConversationService\"} [1-9]")
        .containsPattern("junction_request_seconds_sum\\{service=\"junction.v1.ConversationService\"} \\d+\\.\\d{9}\n");
  }

  @Test
  void aRequestThatDoesNotParseIsInvalidArgumentOnEveryServiceAndCounted() throws Exception {
    List<String[]> calls = List.of(
        new String[] {"junction.v1.ConversationService/Converse", "junction.v1.ConverseRequest"},
        new String[] {"junction.v1.RecommendationService/Recommend", "junction.v1.RecommendRequest"},
        new String[] {"junction.v1.PipelineService/Run", "junction.v1.RunPipelineRequest"},
        new String[] {"junction.v1.AdminService/ListPools", "junction.v1.ListPoolsRequest"},
        new String[] {"inference.GRPCInferenceService/ModelInfer", "inference.ModelInferRequest"},
        // grpc's own health service too (it was UNKNOWN: Application error processing RPC)
        new String[] {"grpc.health.v1.Health/Check", "grpc.health.v1.HealthCheckRequest"});
    for (String[] c : calls) {
      // ConverseRequest.text, RunPipelineRequest.pipeline, ModelInferRequest.model_name and
      // HealthCheckRequest.service are field 1 strings
      byte[] body = c[0].contains("ListPools") || c[0].contains("Recommend") ? RawCalls.NOT_PROTOBUF : RawCalls.FIELD_1_NOT_UTF8;
      assertThatThrownBy(() -> RawCalls.call(channel, c[0], body)).as(c[0])
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith("request: not a " + c[1] + ": ");
          });
    }
    assertThat(get("/metrics").body())
        .containsPattern("junction_requests_total\\{service=\"junction.v1.AdminService\",outcome=\"INVALID_ARGUMENT\"} [1-9]");
  }

  @Test
  void aPortInUseIsNamedAsTheConfigNamesIt() {
    JunctionServer grpcTaken = new JunctionServer(new ServerOptions("127.0.0.1", server.grpcPort(), 0, 64 * 1024,
        Duration.ofSeconds(1)), pools, pipelines, ApiLimits.DEFAULT, loops);
    assertThatThrownBy(grpcTaken::start).isInstanceOf(java.io.IOException.class)
        .hasMessageStartingWith("server.port: " + server.grpcPort() + " on 127.0.0.1 cannot be bound: ")
        .hasMessageEndingWith("(expected: a free port; --port and --http-port override the config's)");
    JunctionServer httpTaken = new JunctionServer(new ServerOptions("127.0.0.1", 0, server.httpPort(), 64 * 1024,
        Duration.ofSeconds(1)), pools, pipelines, ApiLimits.DEFAULT, loops);
    assertThatThrownBy(httpTaken::start).isInstanceOf(java.io.IOException.class)
        .hasMessageStartingWith("server.http_port: " + server.httpPort() + " on 127.0.0.1 cannot be bound: ");
  }

  @Test
  void aRequestOverTheMessageLimitIsRefused() {
    var conversation = ConversationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> conversation.converse(ConverseRequest.newBuilder().setText("a".repeat(100_000)).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
  }
}
