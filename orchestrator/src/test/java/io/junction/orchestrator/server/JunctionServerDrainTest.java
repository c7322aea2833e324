package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.engine.PipelineResult;
import io.junction.grpc.EventLoops;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.FakePools;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The drain of {@link JunctionServer#close()} over real gRPC: health goes NOT_SERVING, new calls
 * get UNAVAILABLE, accepted calls finish, Chat streams end after the turn they are in.
 */
class JunctionServerDrainTest {
  /** Runs by the text they were asked with: "hold ..." waits for the test, anything else answers at once. */
  private final ConcurrentHashMap<String, CompletableFuture<PipelineResult>> held = new ConcurrentHashMap<>();

  private CompletableFuture<PipelineResult> run(List<Tensor> inputs) {
    String text = inputs.get(0).strings().get(0);
    return text.startsWith("hold") ? held.computeIfAbsent(text, t -> new CompletableFuture<>()) : reply();
  }

  private static CompletableFuture<PipelineResult> reply() {
    return FakePipelines.done("chat",
        Tensor.ofStrings("intent", new long[] {1}, List.of("greet")),
        Tensor.ofFloats("confidence", new long[] {1}, 0.9f),
        Tensor.ofStrings("tokens", new long[] {2}, List.of("hi", "there")));
  }

  private static ConverseRequest text(String text) {
    return ConverseRequest.newBuilder().setText(text).build();
  }

  @Test
  void drainRefusesNewCallsLetsAcceptedOnesFinishAndEndsChatStreamsAfterTheirTurn() throws Exception {
    FakePipelines pipelines = new FakePipelines().put(FakePipelines.chat(), (in, o, d) -> run(in));
    FakePools pools = new FakePools().snapshot(List.of(FakePools.pool("p", List.of("m"), "READY")));
    EventLoops loops = EventLoops.create("drain-test-grpc", 1);
    JunctionServer server = new JunctionServer(new ServerOptions("127.0.0.1", 0, 0, 1 << 20, Duration.ofSeconds(60)),
        pools, pipelines, ApiLimits.DEFAULT, loops).start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    CompletableFuture<Void> closing = null;
    try {
      var async = ConversationServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      CompletableFuture<ConverseResponse> unary = new CompletableFuture<>();
      async.converse(text("hold unary"), observer(unary));
      Chat idle = new Chat(async);
      idle.requests.onNext(text("quick"));
      Chat busy = new Chat(async);
      busy.requests.onNext(text("hold turn"));
      for (int i = 0; i < 1000 && (held.size() < 2 || idle.dones() < 1); i++) {
        Thread.sleep(10);
      }
      assertThat(held).containsKeys("hold unary", "hold turn");
      assertThat(idle.dones()).isEqualTo(1);

      closing = CompletableFuture.runAsync(server::close);
      var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      ServingStatus status = ServingStatus.SERVING;
      for (int i = 0; i < 1000 && status != ServingStatus.NOT_SERVING; i++) {
        status = health.check(HealthCheckRequest.getDefaultInstance()).getStatus();
      }
      assertThat(status).isEqualTo(ServingStatus.NOT_SERVING);

      // a call that comes now is refused, and says why
      assertThatThrownBy(() -> ConversationServiceGrpc.newBlockingStub(channel).converse(text("late")))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("the server is draining");
          });
      // the idle Chat stream is closed at once: UNAVAILABLE, so that its client reopens it elsewhere
      assertThat(Status.fromThrowable(idle.end.handle((v, t) -> t).get(10, TimeUnit.SECONDS)).getCode())
          .isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(closing).as("the server waits for the calls it accepted").isNotDone();

      held.get("hold unary").complete(reply().join());
      assertThat(unary.get(10, TimeUnit.SECONDS).getReply()).isEqualTo("hi there");
      held.get("hold turn").complete(reply().join());
      Throwable busyEnd = busy.end.handle((v, t) -> t).get(10, TimeUnit.SECONDS);
      assertThat(busy.dones()).as("the turn in flight was answered whole").isEqualTo(1);
      assertThat(Status.fromThrowable(busyEnd).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(Status.fromThrowable(busyEnd).getDescription()).contains("Chat stream: refused, the server is draining");

      closing.get(30, TimeUnit.SECONDS);
    } finally {
      channel.shutdownNow();
      held.values().forEach(f -> f.cancel(false));
      server.close();
      loops.close();
    }
  }

  private static StreamObserver<ConverseResponse> observer(CompletableFuture<ConverseResponse> result) {
    return new StreamObserver<>() {
      @Override public void onNext(ConverseResponse value) { result.complete(value); }
      @Override public void onError(Throwable t) { result.completeExceptionally(t); }
      @Override public void onCompleted() {}
    };
  }

  /** A Chat stream's client: the events it got and how the stream ended. */
  private static final class Chat implements StreamObserver<ConverseEvent> {
    final List<ConverseEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> end = new CompletableFuture<>();
    final StreamObserver<ConverseRequest> requests;

    Chat(ConversationServiceGrpc.ConversationServiceStub stub) {
      requests = stub.chat(this);
    }

    long dones() {
      return events.stream().filter(ConverseEvent::hasDone).count();
    }

    @Override public void onNext(ConverseEvent e) { events.add(e); }
    @Override public void onError(Throwable t) { end.completeExceptionally(t); }
    @Override public void onCompleted() { end.complete(null); }
  }
}
