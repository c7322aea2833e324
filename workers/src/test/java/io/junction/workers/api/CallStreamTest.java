package io.junction.workers.api;

import static io.junction.workers.api.Requests.floats;
import static io.junction.workers.api.Requests.typed;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.CancelCall;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.WorkerCall;
import io.junction.proto.v1.WorkerReply;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.workers.serving.WorkerStats;
import io.junction.workers.testing.TestModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SegmentService.Calls in-process, over the real engine and the test models: many ModelInfers on one stream. */
class CallStreamTest {
  @TempDir static Path repo;
  static InProcessWorker worker;

  @BeforeAll
  static void start() throws Exception {
    TestModels.buildRepository(repo);
    worker = new InProcessWorker(repo, List.of("scale"));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  /** One open stream and the replies it got, by id. */
  private static final class Stream implements StreamObserver<WorkerReply> {
    final Map<Long, WorkerReply> replies = new ConcurrentHashMap<>();
    final CountDownLatch ended = new CountDownLatch(1);
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final StreamObserver<WorkerCall> calls = SegmentServiceGrpc.newStub(worker.channel).calls(this);

    @Override
    public void onNext(WorkerReply reply) {
      replies.put(reply.getId(), reply);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
      ended.countDown();
    }

    @Override
    public void onCompleted() {
      ended.countDown();
    }

    void send(long id, long timeoutUs, ModelInferRequest request) {
      calls.onNext(WorkerCall.newBuilder().setId(id).setTimeoutUs(timeoutUs).setInfer(request).build());
    }

    WorkerReply await(long id) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!replies.containsKey(id) && System.nanoTime() < end) {
        Thread.sleep(2);
      }
      assertThat(replies).as("a reply to call " + id).containsKey(id);
      return replies.get(id);
    }
  }

  private static ModelInferRequest scale(float... x) {
    return typed("scale", floats("x", new long[] {1, x.length}, x)).toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("y")).build();
  }

  private static List<Tensor> outputs(ModelInferResponse r) {
    return TensorCodec.fromOutputs(r.getOutputsList(), r.getRawOutputContentsList());
  }

  @Test
  void callsOnOneStreamAreAnsweredByIdAsAUnaryModelInferWouldBe() throws Exception {
    Stream s = new Stream();
    s.send(7, 0, scale(1f, 2f).toBuilder().setId("req-7").build());
    s.send(3, 30_000_000, scale(-3f, 0.5f));
    WorkerReply seven = s.await(7);
    WorkerReply three = s.await(3);

    assertThat(seven.hasInfer()).isTrue();
    ModelInferResponse unary = worker.inference().modelInfer(scale(1f, 2f).toBuilder().setId("req-7").build());
    assertThat(seven.getInfer()).isEqualTo(unary);
    assertThat(outputs(three.getInfer()).get(0).floats()).containsExactly(-6f, 1f);
    s.calls.onCompleted();
    assertThat(s.ended.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(s.error.get()).isNull();
  }

  @Test
  void aFailedCallIsAnsweredWithItsStatusAndTheStreamGoesOn() throws Exception {
    Stream s = new Stream();
    s.send(1, 0, scale(1f, 2f).toBuilder().setModelName("nope").build());
    s.calls.onNext(WorkerCall.newBuilder().setId(2).build());
    s.send(3, -5, scale(1f, 2f));
    s.send(4, 0, scale(1f, 2f));

    WorkerReply unknown = s.await(1);
    assertThat(unknown.hasError()).isTrue();
    assertThat(unknown.getError().getCode()).isEqualTo(Status.Code.NOT_FOUND.value());
    assertThat(unknown.getError().getMessage()).contains("nope");
    WorkerReply empty = s.await(2);
    assertThat(empty.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(empty.getError().getMessage()).contains("call 2: no call set (expected: infer or cancel)");
    WorkerReply negative = s.await(3);
    assertThat(negative.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(negative.getError().getMessage()).contains("timeout_us: -5 (expected: >= 0");
    assertThat(outputs(s.await(4).getInfer()).get(0).floats()).containsExactly(2f, 4f);
    s.calls.onCompleted();
    assertThat(s.ended.await(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCallWhoseTimeoutHasPassedIsDroppedNotRun() throws Exception {
    long rowsBefore = scaleStats().rows();
    long errorsBefore = scaleStats().errors();
    Stream s = new Stream();
    s.send(1, 1, scale(1f, 2f)); // one microsecond: gone before a model thread takes it
    WorkerReply late = s.await(1);
    assertThat(late.hasError()).isTrue();
    assertThat(late.getError().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
    assertThat(scaleStats().rows()).as("no row ran").isEqualTo(rowsBefore);
    assertThat(scaleStats().errors()).as("counted as dropped").isEqualTo(errorsBefore + 1);

    // A cancel for a call that already ended is ignored, and the stream still serves.
    s.calls.onNext(WorkerCall.newBuilder().setId(1).setCancel(CancelCall.getDefaultInstance()).build());
    s.send(2, 0, scale(1f, 2f));
    assertThat(outputs(s.await(2).getInfer()).get(0).floats()).containsExactly(2f, 4f);
    s.calls.onCompleted();
    assertThat(s.ended.await(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void endingTheStreamsFinishesEachOnceItsCallsAreAnswered() throws Exception {
    Stream s = new Stream();
    s.send(1, 0, scale(1f, 2f));
    s.await(1);
    assertThat(s.ended.getCount()).as("open between calls").isEqualTo(1);
    worker.segmentApi.endCallStreams();
    assertThat(s.ended.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(s.error.get()).isNull();
  }

  private static WorkerStats.Model scaleStats() {
    return worker.host.stats().models().stream().filter(m -> m.name().equals("scale")).findFirst().orElseThrow();
  }
}
