package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.junction.grpc.EventLoops;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.CallError;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.WorkerCall;
import io.junction.proto.v1.WorkerReply;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's end of a call stream, on a real event loop over real gRPC on loopback. The
 * far end is a peer that records what it gets and answers when the test says, so that order,
 * deadlines, cancels and a failing stream can be set up exactly; CallStreamTest (workers) covers
 * the worker's end.
 */
class WorkerCallStreamTest {
  private final EventLoops loops = EventLoops.create("call-stream-test", 1);
  /** Streams the peer has accepted, in order; each with the calls it got. */
  private final List<PeerStream> streams = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;
  private WorkerCallStream calls;

  private final class PeerStream implements StreamObserver<WorkerCall> {
    final StreamObserver<WorkerReply> out;
    final LinkedBlockingQueue<WorkerCall> got = new LinkedBlockingQueue<>();

    PeerStream(StreamObserver<WorkerReply> out) {
      this.out = out;
    }

    @Override
    public void onNext(WorkerCall call) {
      got.add(call);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    WorkerCall next() throws InterruptedException {
      WorkerCall c = got.poll(10, TimeUnit.SECONDS);
      assertThat(c).as("a call reaches the peer").isNotNull();
      return c;
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    server = loops.server(new InetSocketAddress("127.0.0.1", 0)).addService(new SegmentServiceGrpc.SegmentServiceImplBase() {
      @Override
      public StreamObserver<WorkerCall> calls(StreamObserver<WorkerReply> out) {
        PeerStream s = new PeerStream(out);
        streams.add(s);
        return s;
      }
    }).build().start();
    channel = loops.channelsTo("127.0.0.1:" + server.getPort()).get(0).build();
    calls = new WorkerCallStream(SegmentServiceGrpc.newStub(channel), loops.loop(0), () -> loops.currentLoop() == 0);
  }

  @AfterEach
  void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    loops.close();
  }

  /** The i-th stream the peer accepted, once it has (it opens with the first call sent on it). */
  private PeerStream stream(int i) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (streams.size() <= i && System.nanoTime() < end) {
      Thread.sleep(1);
    }
    assertThat(streams.size()).as("streams the peer accepted").isGreaterThan(i);
    return streams.get(i);
  }

  /** Runs on the loop, as the orchestrator's callers do. */
  private <T> T onLoop(Supplier<T> task) throws Exception {
    return loops.loop(0).submit(task::get).get(10, TimeUnit.SECONDS);
  }

  private CompletableFuture<ModelInferResponse> infer(String id, Deadline deadline) throws Exception {
    return infer(id, deadline, () -> { });
  }

  private CompletableFuture<ModelInferResponse> infer(String id, Deadline deadline, Runnable onClosed) throws Exception {
    return onLoop(() -> calls.infer(ModelInferRequest.newBuilder().setModelName("m").setId(id).build(), deadline,
        onClosed));
  }

  /** The worker's answer to a call it dropped. */
  private static WorkerReply dropped(WorkerCall call, Status.Code code) {
    return WorkerReply.newBuilder().setId(call.getId())
        .setError(CallError.newBuilder().setCode(code.value()).setMessage("dropped")).build();
  }

  /** Waits (bounded) until {@code closed} reaches {@code n}. */
  private static void awaitClosed(java.util.concurrent.atomic.AtomicInteger closed, int n) throws InterruptedException {
    for (int i = 0; i < 1_000 && closed.get() < n; i++) {
      Thread.sleep(5);
    }
    assertThat(closed.get()).isEqualTo(n);
  }

  private static WorkerReply answer(WorkerCall call) {
    return WorkerReply.newBuilder().setId(call.getId())
        .setInfer(ModelInferResponse.newBuilder().setModelName("m").setId(call.getInfer().getId())).build();
  }

  private static Status statusOf(CompletableFuture<?> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
      return Status.fromThrowable(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the call succeeded");
  }

  @Test
  void callsShareOneStreamAndRepliesFindTheirCallsInAnyOrder() throws Exception {
    CompletableFuture<ModelInferResponse> a = infer("a", null);
    CompletableFuture<ModelInferResponse> b = infer("b", Deadline.after(30, TimeUnit.SECONDS));
    PeerStream peer = stream(0);
    WorkerCall first = peer.next();
    WorkerCall second = peer.next();
    assertThat(streams).hasSize(1);
    assertThat(first.getInfer().getId()).isEqualTo("a");
    assertThat(first.getTimeoutUs()).as("no deadline: no limit").isZero();
    assertThat(second.getTimeoutUs()).isBetween(29_000_000L, 30_000_000L);
    assertThat(second.getId()).isNotEqualTo(first.getId());

    peer.out.onNext(answer(second));
    assertThat(b.get(10, TimeUnit.SECONDS).getId()).isEqualTo("b");
    assertThat(a).isNotDone();
    peer.out.onNext(answer(first));
    assertThat(a.get(10, TimeUnit.SECONDS).getId()).isEqualTo("a");
    assertThat(onLoop(calls::openCalls)).isZero();
  }

  @Test
  void aFailureTheWorkerReportsComesBackAsItsStatus() throws Exception {
    CompletableFuture<ModelInferResponse> a = infer("a", null);
    WorkerCall call = stream(0).next();
    stream(0).out.onNext(WorkerReply.newBuilder().setId(call.getId()).setError(CallError.newBuilder()
        .setCode(Status.Code.RESOURCE_EXHAUSTED.value()).setMessage("worker busy: 8 calls in flight")).build());
    Status s = statusOf(a);
    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getDescription()).isEqualTo("worker busy: 8 calls in flight");
  }

  @Test
  void aCallPastItsDeadlineFailsAndTheWorkerIsToldToDropIt() throws Exception {
    CompletableFuture<ModelInferResponse> a = infer("a", Deadline.after(50, TimeUnit.MILLISECONDS));
    PeerStream peer = stream(0);
    WorkerCall call = peer.next();
    assertThat(statusOf(a).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    WorkerCall cancel = peer.next();
    assertThat(cancel.hasCancel()).isTrue();
    assertThat(cancel.getId()).isEqualTo(call.getId());
    // The reply that comes anyway only closes the call (its caller has had its answer), and the stream serves the next call.
    peer.out.onNext(answer(call));
    CompletableFuture<ModelInferResponse> b = infer("b", null);
    peer.out.onNext(answer(peer.next()));
    assertThat(b.get(10, TimeUnit.SECONDS).getId()).isEqualTo("b");
  }

  @Test
  void aCallAlreadyPastItsDeadlineIsNotSent() throws Exception {
    Deadline past = Deadline.after(-1, TimeUnit.MILLISECONDS);
    assertThat(statusOf(infer("a", past)).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(streams).isEmpty();
  }

  @Test
  void aCallerThatCancelsFromAnotherThreadCancelsTheCallAtTheWorker() throws Exception {
    CompletableFuture<ModelInferResponse> a = infer("a", null);
    PeerStream peer = stream(0);
    WorkerCall call = peer.next();
    a.cancel(false); // from the test's thread, not the loop
    WorkerCall cancel = peer.next();
    assertThat(cancel.hasCancel()).isTrue();
    assertThat(cancel.getId()).isEqualTo(call.getId());
    peer.out.onNext(dropped(call, Status.Code.CANCELLED));
    for (int i = 0; i < 1_000 && onLoop(calls::openCalls) > 0; i++) {
      Thread.sleep(5);
    }
    assertThat(onLoop(calls::openCalls)).isZero();
  }

  @Test
  void aCancelledCallIsClosedOnlyWhenTheWorkerAnswersIt() throws Exception {
    java.util.concurrent.atomic.AtomicInteger closed = new java.util.concurrent.atomic.AtomicInteger();
    CompletableFuture<ModelInferResponse> a = infer("a", null, closed::incrementAndGet);
    PeerStream peer = stream(0);
    WorkerCall call = peer.next();
    a.cancel(false);
    assertThat(peer.next().hasCancel()).isTrue();
    // The worker may still be running it: the call stays open, its slot taken.
    assertThat(onLoop(calls::openCalls)).isEqualTo(1);
    assertThat(closed.get()).isZero();

    peer.out.onNext(dropped(call, Status.Code.CANCELLED));
    awaitClosed(closed, 1);
    assertThat(onLoop(calls::openCalls)).isZero();
    assertThat(a).isCancelled();
  }

  @Test
  void anExpiredCallIsClosedWhenTheWorkerAnswersOrTheStreamEnds() throws Exception {
    java.util.concurrent.atomic.AtomicInteger closed = new java.util.concurrent.atomic.AtomicInteger();
    CompletableFuture<ModelInferResponse> a = infer("a", Deadline.after(50, TimeUnit.MILLISECONDS), closed::incrementAndGet);
    CompletableFuture<ModelInferResponse> b = infer("b", Deadline.after(50, TimeUnit.MILLISECONDS), closed::incrementAndGet);
    PeerStream peer = stream(0);
    WorkerCall first = peer.next();
    peer.next();
    assertThat(statusOf(a).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(statusOf(b).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(peer.next().hasCancel()).isTrue();
    assertThat(peer.next().hasCancel()).isTrue();
    assertThat(closed.get()).isZero();

    peer.out.onNext(dropped(first, Status.Code.DEADLINE_EXCEEDED));
    awaitClosed(closed, 1);
    peer.out.onError(Status.UNAVAILABLE.withDescription("worker stopping").asRuntimeException());
    awaitClosed(closed, 2);
    assertThat(onLoop(calls::openCalls)).isZero();
  }

  @Test
  void whenTheStreamFailsItsOpenCallsFailWithItsStatusAndTheNextCallOpensANewOne() throws Exception {
    CompletableFuture<ModelInferResponse> a = infer("a", null);
    CompletableFuture<ModelInferResponse> b = infer("b", null);
    PeerStream peer = stream(0);
    peer.next();
    peer.next();
    peer.out.onError(Status.UNAVAILABLE.withDescription("worker stopping").asRuntimeException());
    assertThat(statusOf(a).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(statusOf(b).getDescription()).isEqualTo("worker stopping");

    CompletableFuture<ModelInferResponse> c = infer("c", null);
    stream(1).out.onNext(answer(stream(1).next()));
    assertThat(c.get(10, TimeUnit.SECONDS).getId()).isEqualTo("c");
    assertThat(streams).as("a new stream; the failed one got nothing more").hasSize(2);
    assertThat(peer.got).isEmpty();
  }

  @Test
  void whenTheWorkerEndsTheStreamItsOpenCallsFailAsUnavailable() throws Exception {
    CompletableFuture<ModelInferResponse> a = infer("a", null);
    PeerStream peer = stream(0);
    peer.next();
    peer.out.onCompleted();
    Status s = statusOf(a);
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription()).contains("ended the call stream");
  }
}
