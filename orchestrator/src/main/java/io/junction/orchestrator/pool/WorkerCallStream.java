package io.junction.orchestrator.pool;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.CancelCall;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.WorkerCall;
import io.junction.proto.v1.WorkerReply;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * ModelInfer calls to one Junction worker over one {@code SegmentService.Calls} stream, on one
 * event loop: the loop the stream's channel runs on, which is also the loop every caller here
 * runs on. A call is then one message each way on a stream already open, instead of a gRPC call
 * of its own (stream set-up, headers and trailers on both sides): what makes a model call through
 * the orchestrator cost less than a plain gRPC relay. Everything here runs on that one thread, so
 * it holds no locks; a caller that cancels its future from elsewhere hands the cancel to the loop.
 *
 * <p>What a gRPC call would do for each call, this does itself: a deadline is a timer on the
 * loop that fails the call with DEADLINE_EXCEEDED and tells the worker to drop it (the worker
 * also drops it on its own once {@code timeout_us} passes); a failure the worker reports comes
 * back as the status it would have had; and when the stream fails, every call open on it fails
 * with the stream's status and the next call opens a new stream.
 *
 * <p>A call's caller may stop waiting (cancel, deadline) before the worker has stopped the call.
 * The worker answers every call it got, a dropped one too, so the call stays open here until
 * that answer (or the stream's end) and only then reports itself closed: the slot the pool gave
 * it is freed when the worker has confirmed the call is over, never while it may still run there.
 */
final class WorkerCallStream {
  private final SegmentServiceGrpc.SegmentServiceStub stub;
  private final ScheduledExecutorService loop;
  private final BooleanSupplier onLoop;
  /** Told of every reply the worker sends, for its replica's {@link StallWatch}. */
  private final Runnable onAnswer;
  private final Map<Long, Open> open = new HashMap<>();
  /** The stream's sending side; null until the first call and after the stream ends. */
  private ClientCallStreamObserver<WorkerCall> requests;
  private long nextId;
  /** Calls sent; written on the loop only, read from anywhere. */
  private volatile long sent;

  /**
   * @param loop   the loop the stub's channel runs on
   * @param onLoop whether the calling thread is that loop
   */
  WorkerCallStream(SegmentServiceGrpc.SegmentServiceStub stub, ScheduledExecutorService loop, BooleanSupplier onLoop) {
    this(stub, loop, onLoop, () -> { });
  }

  /** @param onAnswer runs on every reply the worker sends (on the transport's thread): keep it cheap */
  WorkerCallStream(SegmentServiceGrpc.SegmentServiceStub stub, ScheduledExecutorService loop, BooleanSupplier onLoop,
      Runnable onAnswer) {
    this.stub = stub;
    this.loop = loop;
    this.onLoop = onLoop;
    this.onAnswer = onAnswer;
  }

  /**
   * One inference; {@code deadline} may be null for none. Call on the loop only. Cancelling the
   * returned future (from any thread) cancels the call at the worker.
   *
   * @param onClosed runs once, on the loop, when the worker has answered the call (also a
   *     cancelled or expired one) or the stream has ended; before the future completes when
   *     the answer is what completes it. Not run when this method throws.
   */
  CompletableFuture<ModelInferResponse> infer(ModelInferRequest request, Deadline deadline, Runnable onClosed) {
    long timeoutNanos = 0;
    if (deadline != null) {
      timeoutNanos = deadline.timeRemaining(TimeUnit.NANOSECONDS);
      if (timeoutNanos <= 0) {
        onClosed.run();
        return CompletableFuture.failedFuture(Status.DEADLINE_EXCEEDED
            .withDescription("deadline exceeded before the call was sent to the worker").asRuntimeException());
      }
    }
    if (requests == null) {
      open();
    }
    long id = ++nextId;
    Open call = new Open(id, timeoutNanos, onClosed, Context.current());
    open.put(id, call);
    if (deadline != null) {
      call.timer = loop.schedule(() -> expire(call), timeoutNanos, TimeUnit.NANOSECONDS);
    }
    ClientCallStreamObserver<WorkerCall> out = requests;
    sent = sent + 1;
    out.onNext(WorkerCall.newBuilder()
        .setId(id)
        // rounded up, so the worker never gives up before the caller does
        .setTimeoutUs(timeoutNanos == 0 ? 0 : (timeoutNanos + 999) / 1_000)
        .setInfer(request)
        .build());
    call.result.whenComplete((r, t) -> {
      if (call.result.isCancelled()) {
        onLoop(() -> drop(call, out));
      }
    });
    return call.result;
  }

  /** Calls sent over this stream and the ones before it. */
  long sent() {
    return sent;
  }

  /** Calls open on the stream now, those whose caller stopped waiting included (for tests and stats). Call on the loop only. */
  int openCalls() {
    return open.size();
  }

  private void open() {
    // In a context of its own: opened from inside a caller's server call, the stream would
    // otherwise take that call's deadline and be cancelled when that call ends.
    Context previous = Context.ROOT.attach();
    try {
      openInRoot();
    } finally {
      Context.ROOT.detach(previous);
    }
  }

  private void openInRoot() {
    stub.calls(new ClientResponseObserver<WorkerCall, WorkerReply>() {
      private ClientCallStreamObserver<WorkerCall> self;

      @Override
      public void beforeStart(ClientCallStreamObserver<WorkerCall> stream) {
        self = stream;
        requests = stream;
      }

      @Override
      public void onNext(WorkerReply reply) {
        onAnswer.run();
        onLoop(() -> answer(reply));
      }

      @Override
      public void onError(Throwable t) {
        onLoop(() -> ended(self, Status.fromThrowable(t)));
      }

      @Override
      public void onCompleted() {
        onLoop(() -> ended(self, Status.UNAVAILABLE.withDescription("the worker ended the call stream")));
      }
    });
  }

  private void answer(WorkerReply reply) {
    Open call = open.remove(reply.getId());
    if (call == null) {
      return; // a call of a stream that ended, failed then
    }
    call.stopTimer();
    call.onClosed.run();
    Context previous = call.context.attach();
    try {
      switch (reply.getReplyCase()) {
        case INFER -> call.result.complete(reply.getInfer());
        case ERROR -> call.result.completeExceptionally(Status.fromCodeValue(reply.getError().getCode())
            .withDescription(reply.getError().getMessage()).asRuntimeException());
        default -> call.result.completeExceptionally(Status.INTERNAL
            .withDescription("the worker's reply to call " + reply.getId() + " carries no answer").asRuntimeException());
      }
    } finally {
      call.context.detach(previous);
    }
  }

  /**
   * The deadline passed: fail the call as a gRPC deadline would, and tell the worker to drop it.
   * It stays open until the worker answers that it has.
   */
  private void expire(Open call) {
    if (open.get(call.id) == call && !call.result.isDone()) {
      cancelAtWorker(call.id, requests);
      Context previous = call.context.attach();
      try {
        call.result.completeExceptionally(Status.DEADLINE_EXCEEDED.withDescription(
            "deadline exceeded after " + TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos) + " ms waiting for the worker")
            .asRuntimeException());
      } finally {
        call.context.detach(previous);
      }
    }
  }

  /**
   * The caller cancelled: tell the worker, if the stream it went out on is still open (else the
   * call was closed when that stream ended). It stays open until the worker answers.
   */
  private void drop(Open call, ClientCallStreamObserver<WorkerCall> sentOn) {
    if (open.get(call.id) == call) {
      call.stopTimer();
      if (sentOn == requests) {
        cancelAtWorker(call.id, sentOn);
      }
    }
  }

  private static void cancelAtWorker(long id, ClientCallStreamObserver<WorkerCall> stream) {
    if (stream != null) {
      stream.onNext(WorkerCall.newBuilder().setId(id).setCancel(CancelCall.getDefaultInstance()).build());
    }
  }

  /**
   * Gives up on the worker (stalled): every call open on the stream fails now with {@code status},
   * without waiting for the worker to confirm it has dropped them (it answers nothing), and the
   * stream is cancelled. Any thread; runs on the loop.
   */
  void abort(Status status) {
    onLoop(() -> {
      ClientCallStreamObserver<WorkerCall> stream = requests;
      if (stream != null) {
        ended(stream, status);
        stream.cancel(status.getDescription(), null);
      }
    });
  }

  /** The stream ended: every call open on it fails with its status; the next call opens a new one. */
  private void ended(ClientCallStreamObserver<WorkerCall> stream, Status status) {
    if (stream != requests) {
      return; // an older stream; its calls failed when it was replaced
    }
    requests = null;
    List<Open> failed = new ArrayList<>(open.values());
    open.clear();
    for (Open call : failed) {
      call.stopTimer();
      call.onClosed.run();
      Context previous = call.context.attach();
      try {
        call.result.completeExceptionally(status.asRuntimeException());
      } finally {
        call.context.detach(previous);
      }
    }
  }

  private void onLoop(Runnable task) {
    if (onLoop.getAsBoolean()) {
      task.run();
      return;
    }
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      task.run(); // the loops are stopping (after the channels): nothing else runs here any more
    }
  }

  private static final class Open {
    final long id;
    final long timeoutNanos;
    final CompletableFuture<ModelInferResponse> result = new CompletableFuture<>();
    /** Run once: when the worker answers or the stream ends, whichever is first (the map's removal decides). */
    final Runnable onClosed;
    /**
     * The caller's context, in which its result is completed: the answer arrives on the stream's
     * own (root) context, and what the caller chains on it (a pipeline's next step) must run as
     * part of the caller's request, with its priority ({@code Priority}), as it would after a
     * gRPC call of its own.
     */
    final Context context;
    ScheduledFuture<?> timer;

    Open(long id, long timeoutNanos, Runnable onClosed, Context context) {
      this.id = id;
      this.timeoutNanos = timeoutNanos;
      this.onClosed = onClosed;
      this.context = context;
    }

    void stopTimer() {
      if (timer != null) {
        timer.cancel(false);
      }
    }
  }
}
