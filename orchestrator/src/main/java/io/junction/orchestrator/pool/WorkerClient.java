package io.junction.orchestrator.pool;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.inference.ServerMetadataResponse;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.v1.DrainRequest;
import io.junction.proto.v1.DrainResponse;
import io.junction.proto.v1.LoadPlansRequest;
import io.junction.proto.v1.LoadPlansResponse;
import io.junction.proto.v1.RunSegmentRequest;
import io.junction.proto.v1.SegmentEvent;
import io.junction.proto.v1.SegmentResult;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The calls the pool makes to one worker, over one channel per event loop of the process.
 * An inference leaves on the channel of the loop the caller runs on (the orchestrator's server
 * handles a request on a loop and calls the pool there), so the request is written, answered
 * and relayed back on one thread with no hand-off; a caller off the loops takes the channels in
 * turn. Asynchronous only: every answer completes a future from gRPC's callback, which runs on
 * the channel's event loop ({@code directExecutor}), so whoever composes on these futures must
 * not block.
 */
final class WorkerClient {
  private final String endpoint;
  private final List<ManagedChannel> channels;
  private final WorkerChannels loops;
  private final List<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub> oip;
  private final WorkerControlGrpc.WorkerControlStub control;
  private final List<SegmentServiceGrpc.SegmentServiceStub> segments;
  /** Per channel, its call stream; empty when the channels run on no loop of ours. */
  private final List<WorkerCallStream> callStreams;
  /** Spreads calls from threads that are not loops; a lost update only skews the spread. */
  private int next;
  /** Told of every answer from the worker (for its replica's {@link StallWatch}); one cheap call each. */
  private final Runnable onAnswer;
  /** Why {@link #abort} gave up on the worker; what its calls cut short end with. Null until then. */
  private volatile Status aborted;

  /**
   * @param endpoint what the channels dial, for messages
   * @param channels one per loop, in the order {@code loops.currentLoop()} indexes
   */
  WorkerClient(String endpoint, List<ManagedChannel> channels, WorkerChannels loops) {
    this(endpoint, channels, loops, () -> { });
  }

  /**
   * @param onAnswer runs each time the worker answers anything (a call's reply or error, a
   *     segment's event, a probe), on the transport's thread: keep it cheap
   */
  WorkerClient(String endpoint, List<ManagedChannel> channels, WorkerChannels loops, Runnable onAnswer) {
    if (channels.isEmpty()) {
      throw new IllegalArgumentException("channels: none (expected: at least one)");
    }
    this.endpoint = endpoint;
    this.channels = List.copyOf(channels);
    this.loops = loops;
    this.onAnswer = onAnswer;
    List<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub> stubs = new ArrayList<>(channels.size());
    List<SegmentServiceGrpc.SegmentServiceStub> segmentStubs = new ArrayList<>(channels.size());
    for (ManagedChannel c : this.channels) {
      stubs.add(GRPCInferenceServiceGrpc.newStub(c));
      segmentStubs.add(SegmentServiceGrpc.newStub(c));
    }
    this.oip = List.copyOf(stubs);
    this.segments = List.copyOf(segmentStubs);
    List<WorkerCallStream> streams = new ArrayList<>(channels.size());
    for (int i = 0; i < this.channels.size(); i++) {
      ScheduledExecutorService loop = loops.loop(i);
      if (loop == null) {
        streams.clear();
        break;
      }
      int index = i;
      streams.add(new WorkerCallStream(segmentStubs.get(i), loop, () -> loops.currentLoop() == index, onAnswer));
    }
    this.callStreams = List.copyOf(streams);
    this.control = WorkerControlGrpc.newStub(this.channels.get(0));
  }

  String endpoint() {
    return endpoint;
  }

  /** True when the server says it is ready (OIP ServerReady: every model loaded). */
  CompletableFuture<Boolean> serverReady(Duration timeout) {
    return unary(oip.get(0).withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::serverReady,
        ServerReadyRequest.getDefaultInstance()).thenApply(r -> r.getReady());
  }

  CompletableFuture<ModelMetadataResponse> modelMetadata(String model, Duration timeout) {
    return unary(oip.get(0).withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::modelMetadata,
        ModelMetadataRequest.newBuilder().setName(model).build());
  }

  CompletableFuture<ServerMetadataResponse> serverMetadata(Duration timeout) {
    return unary(oip.get(0).withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::serverMetadata,
        ServerMetadataRequest.getDefaultInstance());
  }

  CompletableFuture<StatsResponse> stats(Duration timeout) {
    return unary(control.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::stats,
        StatsRequest.getDefaultInstance());
  }

  /** Asks the worker to stop taking calls and finish those in flight, within {@code grace}. */
  CompletableFuture<DrainResponse> drain(Duration grace, Duration timeout) {
    return unary(control.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::drain,
        DrainRequest.newBuilder().setGraceMillis(Math.max(1, grace.toMillis())).build());
  }

  /**
   * One inference; {@code deadline} may be null for none. Cancelling the returned future
   * cancels the call on the wire.
   */
  CompletableFuture<ModelInferResponse> infer(ModelInferRequest request, Deadline deadline) {
    return infer(request, deadline, false, () -> { });
  }

  /**
   * One inference, over the call stream of the caller's loop when {@code overStream} (for a
   * Junction worker: see {@link WorkerCallStream}) and the caller runs on one of the loops;
   * otherwise as one ModelInfer call. The two answer alike.
   *
   * @param onClosed runs once when the call is over at the transport, which may be after its
   *     caller stopped waiting: over a call stream when the worker has answered it (it answers a
   *     cancelled call once it has dropped it), as a gRPC call when gRPC closes it. Runs before an
   *     answer completes the future; not run when this method throws.
   */
  CompletableFuture<ModelInferResponse> infer(ModelInferRequest request, Deadline deadline, boolean overStream,
      Runnable onClosed) {
    if (overStream && !callStreams.isEmpty()) {
      int current = loops.currentLoop();
      if (current >= 0 && current < callStreams.size()) {
        return callStreams.get(current).infer(request, deadline, onClosed);
      }
    }
    GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub = oip.get(channelIndex());
    return unary((deadline == null ? stub : stub.withDeadline(deadline))::modelInfer, request, onClosed);
  }

  /** Inferences sent over call streams so far. */
  long callsOverStreams() {
    return callStreams.stream().mapToLong(WorkerCallStream::sent).sum();
  }

  /** Loads fused segment plans; the worker compiles them against its models. */
  CompletableFuture<LoadPlansResponse> loadPlans(LoadPlansRequest request, Duration timeout) {
    return unary(segments.get(0).withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::loadPlans, request);
  }

  /**
   * Runs a fused segment: each event before the result (an early output, an iteration) goes to
   * {@code onEvent} as it arrives (on the transport's thread, in order), and the future completes
   * with the result event once gRPC closes the call. It leaves on the caller's loop, as an
   * inference does. Cancelling the future cancels the call on the wire.
   *
   * @param onClosed runs once when gRPC closes the call (also after a cancel), before the future
   *     completes with what the call ended with; not run when this method throws
   */
  CompletableFuture<SegmentResult> runSegment(RunSegmentRequest request, Deadline deadline,
      Consumer<SegmentEvent> onEvent, Runnable onClosed) {
    CompletableFuture<SegmentResult> result = new CompletableFuture<>();
    SegmentServiceGrpc.SegmentServiceStub stub = segments.get(channelIndex());
    (deadline == null ? stub : stub.withDeadline(deadline)).runSegment(request,
        new ClientResponseObserver<RunSegmentRequest, SegmentEvent>() {
      private SegmentResult answer;

      @Override
      public void beforeStart(ClientCallStreamObserver<RunSegmentRequest> requestStream) {
        cancelWithCaller(result, requestStream);
      }

      @Override
      public void onNext(SegmentEvent event) {
        onAnswer.run();
        if (event.hasResult()) {
          answer = event.getResult();
        } else {
          onEvent.accept(event);
        }
      }

      @Override
      public void onError(Throwable t) {
        Throwable why = failure(t);
        onClosed.run();
        result.completeExceptionally(why);
      }

      @Override
      public void onCompleted() {
        onClosed.run();
        if (answer != null) {
          result.complete(answer);
        } else {
          result.completeExceptionally(Status.INTERNAL
              .withDescription("segment stream ended without a result").asRuntimeException());
        }
      }
    });
    return result;
  }

  /** The channel on the caller's loop, else the next in turn. */
  private int channelIndex() {
    int n = oip.size();
    if (n == 1) {
      return 0;
    }
    int current = loops.currentLoop();
    if (current >= 0 && current < n) {
      return current;
    }
    return Math.floorMod(next++, n);
  }

  /** Closes the channels; calls still on them fail with CANCELLED or UNAVAILABLE. */
  void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }

  /**
   * Gives up on a worker that stalled: the calls open on it fail now with {@code status} (an
   * UNAVAILABLE naming the stall, so that they fail over) instead of waiting for their deadlines,
   * and the channels close. Call-stream calls end with it at once; gRPC calls (ModelInfer,
   * RunSegment, probes) end when their channel's shutdownNow reaches them, and take
   * {@code status} in place of the channel's "shutdownNow invoked". Each stream's channel closes
   * on its loop after the stream has failed its calls, so no call sees the channel's status first.
   */
  void abort(Status status) {
    aborted = status;
    for (int i = 0; i < channels.size(); i++) {
      ManagedChannel channel = channels.get(i);
      if (i < callStreams.size()) {
        WorkerCallStream stream = callStreams.get(i);
        stream.abort(status);
        try {
          loops.loop(i).execute(channel::shutdownNow);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          channel.shutdownNow(); // the loops are stopping: nothing runs there any more
        }
      } else {
        channel.shutdownNow();
      }
    }
  }

  /**
   * What a gRPC call that ended with {@code t} fails with: the reason of an {@link #abort} when
   * that is what cut it short. An error the worker sent counts as an answer; those our side
   * makes (deadline, cancel, connection lost) do not.
   */
  private Throwable failure(Throwable t) {
    Status.Code code = Status.fromThrowable(t).getCode();
    Status why = aborted;
    if (why != null && (code == Status.Code.UNAVAILABLE || code == Status.Code.CANCELLED)) {
      return why.asRuntimeException();
    }
    if (code != Status.Code.UNAVAILABLE && code != Status.Code.CANCELLED
        && code != Status.Code.DEADLINE_EXCEEDED) {
      onAnswer.run();
    }
    return t;
  }

  private <Q, R> CompletableFuture<R> unary(BiConsumer<Q, StreamObserver<R>> call, Q request) {
    return unary(call, request, () -> { });
  }

  /** A unary call whose future completes when gRPC closes it (as grpc-java's own futures do), after {@code onClosed}. */
  private <Q, R> CompletableFuture<R> unary(BiConsumer<Q, StreamObserver<R>> call, Q request,
      Runnable onClosed) {
    CompletableFuture<R> result = new CompletableFuture<>();
    call.accept(request, new ClientResponseObserver<Q, R>() {
      private R value;

      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
        cancelWithCaller(result, requestStream);
      }

      @Override
      public void onNext(R v) {
        onAnswer.run();
        value = v;
      }

      @Override
      public void onError(Throwable t) {
        Throwable why = failure(t);
        onClosed.run();
        result.completeExceptionally(why);
      }

      @Override
      public void onCompleted() {
        onClosed.run();
        if (value != null) {
          result.complete(value);
        } else {
          result.completeExceptionally(
              Status.INTERNAL.withDescription("unary call completed without a response").asRuntimeException());
        }
      }
    });
    return result;
  }

  /** A caller that cancels the future cancels the call on the wire. */
  private static void cancelWithCaller(CompletableFuture<?> result, ClientCallStreamObserver<?> requestStream) {
    result.whenComplete((r, t) -> {
      if (result.isCancelled()) {
        requestStream.cancel("caller cancelled", null);
      }
    });
  }
}
