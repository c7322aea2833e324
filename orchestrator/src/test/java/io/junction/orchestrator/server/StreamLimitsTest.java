package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineResult;
import io.junction.engine.PipelineStalledException;
import io.junction.grpc.EventLoops;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.FakePools;
import io.junction.orchestrator.api.StreamRecorder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.max_open_streams} and {@code limits.max_concurrent_streams_per_connection} on the
 * real Netty server over loopback: a stream beyond the first is refused with RESOURCE_EXHAUSTED
 * naming it, every way a stream can end gives its permit back, and calls beyond the second wait in
 * their client's connection while other connections are served.
 */
class StreamLimitsTest {
  private static final int MAX_OPEN_STREAMS = 3;
  private static final int MAX_CALLS_PER_CONNECTION = 2;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final FakePools pools = new FakePools();
  private static final FakePipelines pipelines = new FakePipelines();
  private static final EventLoops loops = EventLoops.create("test-grpc", 1);
  private static JunctionServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    pools.model("any", new ModelSignature("m", List.of(FakePipelines.spec("x", DataType.FP32, -1)),
            List.of(FakePipelines.spec("y", DataType.FP32, -1))),
        (in, out, d) -> CompletableFuture.completedFuture(List.of(Tensor.ofFloats("y", new long[] {1}, 1f))));
    pools.snapshot(List.of(FakePools.pool("any", List.of("m"), "READY")));
    pipelines.put(FakePipelines.chat(), (in, o, d) -> new CompletableFuture<>());
    server = new JunctionServer(new ServerOptions("127.0.0.1", 0, 0, 64 * 1024, Duration.ofSeconds(1),
        MAX_CALLS_PER_CONNECTION, MAX_OPEN_STREAMS), pools, pipelines, ApiLimits.DEFAULT, loops).start();
  }

  @AfterAll
  static void stop() {
    server.close();
    loops.close();
  }

  @AfterEach
  void closeChannels() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    awaitOpenStreams(0);
  }

  private ManagedChannel connect() {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    channels.add(c);
    return c;
  }

  /** The server's count, polled: a client's cancel reaches the server after the client's call returns. */
  private static void awaitOpenStreams(int expected) throws InterruptedException {
    for (int i = 0; i < 500 && server.openStreams() != expected; i++) {
      Thread.sleep(10);
    }
    assertThat(server.openStreams()).as("streams open on the server").isEqualTo(expected);
  }

  private static ModelInferRequest request(String id) {
    return ModelInferRequest.newBuilder().setModelName("m").setId(id)
        .addInputs(InferInputTensor.newBuilder().setName("x").setDatatype("FP32").addShape(1))
        .addRawInputContents(ByteString.copyFrom(new byte[4])).build();
  }

  /** A ModelStreamInfer stream, admitted: it answers a request (a refused one ends in an error instead). */
  private StreamRecorder admittedStream(ManagedChannel channel) throws InterruptedException {
    StreamRecorder s = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(channel).modelStreamInfer(s);
    s.send(request("one"));
    for (int i = 0; i < 1000 && s.all().isEmpty(); i++) {
      Thread.sleep(10);
    }
    assertThat(s.responses()).as("the stream was admitted and answered").hasSize(1);
    return s;
  }

  private static Status refusedStream(ManagedChannel channel) throws InterruptedException {
    StreamRecorder s = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(channel).modelStreamInfer(s);
    return s.awaitError(WAIT);
  }

  /** A RunStream call whose run the test ends: {@code run} is completed by the test. */
  private static CountDownLatch runStream(ManagedChannel channel, AtomicReference<Throwable> error) {
    CountDownLatch ended = new CountDownLatch(1);
    PipelineServiceGrpc.newStub(channel).runStream(RunPipelineRequest.newBuilder().setPipeline("chat")
            .addInputs(InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(1))
            .addRawInputContents(Tensor.ofStrings("text", new long[] {1}, List.of("hi")).data()).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(RunPipelineEvent value) {}

          @Override
          public void onError(Throwable t) {
            error.set(t);
            ended.countDown();
          }

          @Override
          public void onCompleted() {
            ended.countDown();
          }
        });
    return ended;
  }

  @Test
  void aStreamBeyondMaxOpenStreamsIsRefusedAndEveryWayAStreamEndsGivesItsPermitBack() throws Exception {
    for (int round = 0; round < 2; round++) {
      StreamRecorder completed = admittedStream(connect());
      StreamRecorder cancelled = admittedStream(connect());
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CompletableFuture<PipelineResult> thisRun = new CompletableFuture<>();
      pipelines.answer("chat", (in, o, d) -> thisRun);
      CountDownLatch failed = runStream(connect(), failure);
      awaitOpenStreams(MAX_OPEN_STREAMS);

      Status refused = refusedStream(connect());
      assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getDescription())
          .isEqualTo("open streams: 4 (expected: <= 3; limits.max_open_streams in the config)");
      assertThat(server.openStreams()).as("a refused stream holds nothing").isEqualTo(MAX_OPEN_STREAMS);

      completed.halfClose();
      completed.awaitCompleted(WAIT);
      cancelled.cancel();
      thisRun.completeExceptionally(new PipelineStalledException("pipeline chat: outputs tokens: not produced"));
      assertThat(failed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(Status.fromThrowable(failure.get()).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      awaitOpenStreams(0);
    }
    // a stream whose deadline passes gives its permit back too
    StreamRecorder expiring = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(connect()).withDeadlineAfter(200, TimeUnit.MILLISECONDS).modelStreamInfer(expiring);
    assertThat(expiring.awaitError(WAIT).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    awaitOpenStreams(0);
    List<StreamRecorder> again = new ArrayList<>();
    for (int i = 0; i < MAX_OPEN_STREAMS; i++) {
      again.add(admittedStream(connect()));
    }
    awaitOpenStreams(MAX_OPEN_STREAMS);
    again.forEach(StreamRecorder::halfClose);
    awaitOpenStreams(0);
  }

  @Test
  void callsBeyondMaxConcurrentStreamsPerConnectionWaitInTheirConnection() throws Exception {
    ManagedChannel full = connect();
    StreamRecorder first = admittedStream(full);
    admittedStream(full);
    var waiting = GRPCInferenceServiceGrpc.newBlockingStub(full).withDeadlineAfter(300, TimeUnit.MILLISECONDS);
    assertThatThrownBy(() -> waiting.serverReady(ServerReadyRequest.getDefaultInstance()))
        .as("a third call on a connection of two open calls waits for one of them")
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(GRPCInferenceServiceGrpc.newBlockingStub(connect()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
        .as("another connection is served").isTrue();
    first.halfClose();
    first.awaitCompleted(WAIT);
    assertThat(GRPCInferenceServiceGrpc.newBlockingStub(full).withDeadlineAfter(10, TimeUnit.SECONDS)
        .serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
        .as("served once a call of its connection ended").isTrue();
  }
}
