package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.junction.orchestrator.api.StreamRecorder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ReplicaInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The demo's processes over their life, through `junction serve` with the demo's real workers, on
 * a demo of the class's own (what it tests ends workers and the orchestrator, so it cannot be the
 * {@link SharedDemo}): a SIGKILLed worker is replaced and serves; then SIGTERM under load: every
 * call and stream the server accepted before the signal completes, calls made after it get
 * UNAVAILABLE saying the server drains, Chat streams end after their turn, the process exits 0
 * and no worker outlives it. The test that stops the orchestrator runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoLifecycleTest {
  private static final String[] TEXTS = {"I want to book a flight to Paris", "what's the weather like tomorrow",
      "hello there", "play some jazz"};

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void startDemo() throws Exception {
    orchestrator = OrchestratorProcess.startDemo("demo-lifecycle");
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  /**
   * The demo runs one worker per pool, so between the kill and the replacement's READY the
   * recommendation pool has no replica (calls get UNAVAILABLE); the replacement is warmed up
   * before READY like the first, and serves.
   */
  @Test
  @Order(1)
  void killedWorkerIsReplacedAndServesAgain() throws Exception {
    ListPoolsResponse before = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(30));
    ReplicaInfo victim = before.getPoolsList().stream().filter(p -> p.getName().equals("recommendation"))
        .findFirst().orElseThrow().getReplicas(0);
    ProcessHandle.of(victim.getPid()).orElseThrow().destroyForcibly();

    ListPoolsResponse after = orchestrator.awaitPools(r -> {
      PoolInfo pool = r.getPoolsList().stream().filter(p -> p.getName().equals("recommendation")).findFirst().orElseThrow();
      ReplicaInfo replica = pool.getReplicasList().stream().filter(x -> x.getId().equals(victim.getId())).findFirst().orElseThrow();
      return replica.getState().equals("READY") && replica.getPid() != victim.getPid();
    }, Duration.ofSeconds(30));
    ReplicaInfo replaced = after.getPoolsList().stream().filter(p -> p.getName().equals("recommendation"))
        .flatMap(p -> p.getReplicasList().stream()).filter(x -> x.getId().equals(victim.getId())).findFirst().orElseThrow();
    assertThat(replaced.getRestarts()).isGreaterThanOrEqualTo(1);
    assertThat(ProcessHandle.of(victim.getPid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();

    var recommendation = RecommendationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    for (int i = 0; i < 8; i++) {
      assertThat(recommendation.recommend(RecommendRequest.newBuilder().setUserId(i).setK(5).build()).getItemsCount()).isEqualTo(5);
    }
  }

  @Test
  @Order(2)
  void sigtermUnderLoadFinishesEveryAcceptedCallRefusesNewOnesAndExitsZeroWithItsWorkers() throws Exception {
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(60));
    var conversation = ConversationServiceGrpc.newStub(orchestrator.channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    var recommendation = RecommendationServiceGrpc.newStub(orchestrator.channel).withDeadlineAfter(120, TimeUnit.SECONDS);

    // A long-lived Open Inference stream, answered once: it stays open across the signal.
    StreamRecorder inferStream = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(orchestrator.channel).modelStreamInfer(inferStream);
    inferStream.send(StreamRecorder.chat("before", "hello there"));
    awaitFinals(inferStream, 1);

    // The load: a wave of unary calls and streams, all sent before the signal.
    List<CompletableFuture<ConverseResponse>> converses = new ArrayList<>();
    List<CompletableFuture<RecommendResponse>> recommends = new ArrayList<>();
    List<Events> converseStreams = new ArrayList<>();
    List<Events> chats = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      CompletableFuture<ConverseResponse> c = new CompletableFuture<>();
      conversation.converse(text(TEXTS[i % TEXTS.length]), unary(c));
      converses.add(c);
      CompletableFuture<RecommendResponse> r = new CompletableFuture<>();
      recommendation.recommend(RecommendRequest.newBuilder().setUserId(i * 97).setK(10).build(), unary(r));
      recommends.add(r);
    }
    for (int i = 0; i < 6; i++) {
      Events s = new Events();
      conversation.converseStream(text(TEXTS[i % TEXTS.length]), s);
      converseStreams.add(s);
      Events chat = new Events();
      conversation.chat(chat).onNext(text(TEXTS[(i + 1) % TEXTS.length]));
      chats.add(chat);
    }
    // Calls on one channel reach the server in the order they were started: once this answer
    // is back, the server has taken every call above.
    List<Long> workers = OrchestratorProcess.workerPids(orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()));
    assertThat(workers).as("the demo's two workers").hasSize(2);
    long pending = converses.stream().filter(f -> !f.isDone()).count()
        + recommends.stream().filter(f -> !f.isDone()).count();
    System.out.println("SIGTERM with " + pending + " of 24 unary calls still in flight");

    orchestrator.process.destroy(); // SIGTERM

    var health = HealthGrpc.newBlockingStub(orchestrator.channel);
    ServingStatus status = ServingStatus.SERVING;
    for (int i = 0; i < 600 && status != ServingStatus.NOT_SERVING; i++) {
      status = health.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
      if (status != ServingStatus.NOT_SERVING) {
        Thread.sleep(50);
      }
    }
    assertThat(status).as("readiness after SIGTERM").isEqualTo(ServingStatus.NOT_SERVING);

    // New calls are refused while the open stream keeps the server draining.
    var blockingConversation = ConversationServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    assertDraining(() -> blockingConversation.converse(text("hello")));
    assertDraining(() -> RecommendationServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS).recommend(RecommendRequest.newBuilder().setUserId(1).build()));
    assertDraining(() -> blockingConversation.converseStream(text("hello")).forEachRemaining(e -> {}));
    Events lateChat = new Events();
    conversation.chat(lateChat).onNext(text("hello"));
    assertDraining(() -> lateChat.end.get(30, TimeUnit.SECONDS));

    // The stream accepted before the signal is still served, and ends when its client ends it.
    inferStream.send(StreamRecorder.chat("after", "hello there"));
    awaitFinals(inferStream, 2);
    inferStream.halfClose();
    inferStream.awaitCompleted(Duration.ofSeconds(30));

    for (CompletableFuture<ConverseResponse> c : converses) {
      assertThat(c.get(60, TimeUnit.SECONDS).getReply()).isNotEmpty();
    }
    for (CompletableFuture<RecommendResponse> r : recommends) {
      assertThat(r.get(60, TimeUnit.SECONDS).getItemsList()).hasSize(10);
    }
    for (Events s : converseStreams) {
      s.end.get(60, TimeUnit.SECONDS);
      assertThat(s.dones()).as("ConverseStream's done event").isEqualTo(1);
    }
    for (Events chat : chats) {
      // the turn sent before the signal is answered whole; then the stream ends, UNAVAILABLE
      assertDraining(() -> chat.end.get(60, TimeUnit.SECONDS));
      assertThat(chat.dones()).as("the Chat turn's done event").isEqualTo(1);
    }

    assertThat(orchestrator.process.waitFor(90, TimeUnit.SECONDS)).as("orchestrator exits after the drain").isTrue();
    assertThat(orchestrator.process.exitValue()).as(orchestrator.tail()).isZero();
    OrchestratorProcess.assertAllExit(workers, Duration.ofSeconds(15));
  }

  /** Waits (bounded) until the stream has answered {@code n} requests whole, each with its final response. */
  private static void awaitFinals(StreamRecorder stream, int n) throws InterruptedException {
    for (int i = 0; i < 1200 && finals(stream) < n; i++) {
      Thread.sleep(50);
    }
    assertThat(finals(stream)).as("final responses of %s", stream.all()).isEqualTo(n);
  }

  private static long finals(StreamRecorder stream) {
    List<io.junction.proto.inference.ModelStreamInferResponse> all = stream.all();
    assertThat(all).as("error responses").allSatisfy(r -> assertThat(r.getErrorMessage()).isEmpty());
    return all.stream().filter(r -> StreamRecorder.isFinal(r.getInferResponse())).count();
  }

  private static ConverseRequest text(String text) {
    return ConverseRequest.newBuilder().setText(text).build();
  }

  private static void assertDraining(ThrowingCallable call) {
    assertThatThrownBy(call).satisfies(t -> {
      Status s = Status.fromThrowable(t instanceof java.util.concurrent.ExecutionException ? t.getCause() : t);
      assertThat(s.getCode()).as("%s", s).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(s.getDescription()).contains("the server is draining");
    });
  }

  private static <T> StreamObserver<T> unary(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override public void onNext(T value) { result.complete(value); }
      @Override public void onError(Throwable t) { result.completeExceptionally(t); }
      @Override public void onCompleted() { result.completeExceptionally(new AssertionError("no response")); }
    };
  }

  /** A streaming call's events and how it ended. */
  private static final class Events implements StreamObserver<ConverseEvent> {
    final List<ConverseEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> end = new CompletableFuture<>();

    long dones() {
      return events.stream().filter(ConverseEvent::hasDone).count();
    }

    @Override public void onNext(ConverseEvent e) { events.add(e); }
    @Override public void onError(Throwable t) { end.completeExceptionally(t); }
    @Override public void onCompleted() { end.complete(null); }
  }
}
