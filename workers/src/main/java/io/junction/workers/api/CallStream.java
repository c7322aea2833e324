package io.junction.workers.api;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.CallError;
import io.junction.proto.v1.WorkerCall;
import io.junction.proto.v1.WorkerReply;
import io.junction.workers.serving.CallAbandonedException;
import io.junction.workers.serving.CallScope;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code SegmentService.Calls} stream: many ModelInfer calls, each run as a unary one is
 * ({@link ModelInferCalls}) and answered by id as it finishes. Calls arrive on the transport's
 * thread and finish on model threads, so replies are written one at a time under a lock. A call
 * leaves the worker's queue when its timeout passes, when the caller cancels it by id, or when
 * the whole stream goes (the caller closed it or went away).
 */
final class CallStream implements StreamObserver<WorkerCall> {
  private static final Logger log = LoggerFactory.getLogger(CallStream.class);

  private final ModelInferCalls calls;
  private final ServerCallStreamObserver<WorkerReply> out;
  /** The stream's context: cancelled when the stream ends, which abandons every call open on it. */
  private final Context context = Context.current();
  private final ConcurrentHashMap<Long, Open> open = new ConcurrentHashMap<>();
  /** The caller sent its last call; the stream ends once the open ones are answered. Under {@code out}. */
  private boolean halfClosed;
  /** The stream was ended: a call that still comes is not run (the caller fails it when it sees the end). */
  private volatile boolean finished;

  /** Runs once when the stream ends, however it ends. */
  private final Consumer<CallStream> onEnd;

  /** @param onEnd runs once when the stream ends, however it ends */
  CallStream(ModelInferCalls calls, StreamObserver<WorkerReply> out, Consumer<CallStream> onEnd) {
    this.calls = calls;
    this.out = (ServerCallStreamObserver<WorkerReply>) out;
    this.onEnd = onEnd;
    // Set before anything is sent (gRPC's rule).
    this.out.setOnCancelHandler(() -> onEnd.accept(this));
  }

  @Override
  public void onNext(WorkerCall call) {
    long id = call.getId();
    switch (call.getCallCase()) {
      case INFER -> start(id, call);
      case CANCEL -> {
        Open c = open.get(id);
        if (c != null) {
          c.cancelled = true;
        }
      }
      default -> send(error(id, Status.INVALID_ARGUMENT.withDescription(
          "call " + id + ": no call set (expected: infer or cancel)")));
    }
  }

  private void start(long id, WorkerCall call) {
    if (finished) {
      return;
    }
    if (call.getTimeoutUs() < 0) {
      send(error(id, Status.INVALID_ARGUMENT.withDescription(
          "call " + id + ": timeout_us: " + call.getTimeoutUs() + " (expected: >= 0; 0 waits without limit)")));
      return;
    }
    Open c = new Open(call.getTimeoutUs() == 0 ? 0 : System.nanoTime() + call.getTimeoutUs() * 1_000);
    if (open.putIfAbsent(id, c) != null) {
      send(error(id, Status.INVALID_ARGUMENT.withDescription(
          "call " + id + ": id already open on this stream (expected: an id unique among open calls)")));
      return;
    }
    try {
      calls.run(call.getInfer(), c).whenComplete((response, failure) -> {
        open.remove(id, c);
        send(failure == null ? WorkerReply.newBuilder().setId(id).setInfer(response).build()
            : error(id, StatusMapper.toStatus(failure)));
      });
    } catch (RuntimeException e) {
      open.remove(id, c);
      send(error(id, StatusMapper.toStatus(e)));
    }
  }

  @Override
  public void onError(Throwable t) {
    // The caller went away: the context is cancelled, so every open call's scope says so.
    log.debug("call stream ended by the caller: {}", t.toString());
  }

  @Override
  public void onCompleted() {
    end();
  }

  /** Takes no more calls' answers beyond those open: the stream ends once they are answered. */
  void end() {
    synchronized (out) {
      halfClosed = true;
      finishIfDone();
    }
  }

  private void send(WorkerReply reply) {
    synchronized (out) {
      try {
        if (!out.isCancelled()) {
          out.onNext(reply);
        }
      } catch (RuntimeException e) {
        // Closed meanwhile; nobody is left to answer.
        log.debug("reply to call {} not delivered: {}", reply.getId(), e.toString());
      }
      finishIfDone();
    }
  }

  private void finishIfDone() {
    if (halfClosed && !finished && open.isEmpty() && !out.isCancelled()) {
      finished = true;
      try {
        out.onCompleted();
      } catch (RuntimeException e) {
        log.debug("call stream not ended cleanly: {}", e.toString());
      }
      onEnd.accept(this);
    }
  }

  private static WorkerReply error(long id, Status status) {
    return WorkerReply.newBuilder().setId(id).setError(CallError.newBuilder()
        .setCode(status.getCode().value())
        .setMessage(status.getDescription() == null ? status.getCode().name() : status.getDescription()))
        .build();
  }

  /** One call open on the stream: what its scope reports to the queue and the batcher. */
  private final class Open implements CallScope {
    /** System.nanoTime() past which the caller stops waiting; 0 for never. */
    private final long deadline;
    private volatile boolean cancelled;

    Open(long deadline) {
      this.deadline = deadline;
    }

    @Override
    public Optional<CallAbandonedException.Reason> abandoned() {
      if (cancelled || context.isCancelled()) {
        return Optional.of(CallAbandonedException.Reason.CANCELLED);
      }
      if (deadline != 0 && System.nanoTime() - deadline >= 0) {
        return Optional.of(CallAbandonedException.Reason.DEADLINE_EXCEEDED);
      }
      return Optional.empty();
    }
  }
}
