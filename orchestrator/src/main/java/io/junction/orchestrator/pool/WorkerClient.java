package io.junction.orchestrator.pool;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
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
import io.junction.proto.v1.LoadPlansRequest;
import io.junction.proto.v1.LoadPlansResponse;
import io.junction.proto.v1.RunSegmentRequest;
import io.junction.proto.v1.SegmentEvent;
import io.junction.proto.v1.SegmentIteration;
import io.junction.proto.v1.SegmentResult;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The calls the pool makes to one worker, over one channel. Asynchronous only: every answer
 * completes a future from gRPC's callback, which runs on the transport's event loop
 * ({@code directExecutor}), so whoever composes on these futures must not block.
 */
final class WorkerClient {
  private final String endpoint;
  private final ManagedChannel channel;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub oip;
  private final WorkerControlGrpc.WorkerControlStub control;
  private final SegmentServiceGrpc.SegmentServiceStub segments;

  WorkerClient(String endpoint, ManagedChannel channel) {
    this.endpoint = endpoint;
    this.channel = channel;
    this.oip = GRPCInferenceServiceGrpc.newStub(channel);
    this.control = WorkerControlGrpc.newStub(channel);
    this.segments = SegmentServiceGrpc.newStub(channel);
  }

  String endpoint() {
    return endpoint;
  }

  /** True when the server says it is ready (OIP ServerReady: every model loaded). */
  CompletableFuture<Boolean> serverReady(Duration timeout) {
    return unary(oip.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::serverReady,
        ServerReadyRequest.getDefaultInstance()).thenApply(r -> r.getReady());
  }

  CompletableFuture<ModelMetadataResponse> modelMetadata(String model, Duration timeout) {
    return unary(oip.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::modelMetadata,
        ModelMetadataRequest.newBuilder().setName(model).build());
  }

  CompletableFuture<ServerMetadataResponse> serverMetadata(Duration timeout) {
    return unary(oip.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::serverMetadata,
        ServerMetadataRequest.getDefaultInstance());
  }

  CompletableFuture<StatsResponse> stats(Duration timeout) {
    return unary(control.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::stats,
        StatsRequest.getDefaultInstance());
  }

  /**
   * One inference; {@code deadline} may be null for none. Cancelling the returned future
   * cancels the call on the wire.
   */
  CompletableFuture<ModelInferResponse> infer(ModelInferRequest request, Deadline deadline) {
    GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub = deadline == null ? oip : oip.withDeadline(deadline);
    return unary(stub::modelInfer, request);
  }

  /** Loads fused segment plans; the worker compiles them against its models. */
  CompletableFuture<LoadPlansResponse> loadPlans(LoadPlansRequest request, Duration timeout) {
    return unary(segments.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)::loadPlans, request);
  }

  /**
   * Runs a fused segment: each iteration event goes to {@code onIteration} as it arrives (on
   * the transport's thread, in order), and the future completes with the result event.
   * Cancelling the future cancels the call on the wire.
   */
  CompletableFuture<SegmentResult> runSegment(RunSegmentRequest request, Deadline deadline,
      Consumer<SegmentIteration> onIteration) {
    CompletableFuture<SegmentResult> result = new CompletableFuture<>();
    SegmentServiceGrpc.SegmentServiceStub stub = deadline == null ? segments : segments.withDeadline(deadline);
    stub.runSegment(request, new ClientResponseObserver<RunSegmentRequest, SegmentEvent>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<RunSegmentRequest> requestStream) {
        result.whenComplete((r, t) -> {
          if (result.isCancelled()) {
            requestStream.cancel("caller cancelled", null);
          }
        });
      }

      @Override
      public void onNext(SegmentEvent event) {
        if (event.hasIteration()) {
          onIteration.accept(event.getIteration());
        } else if (event.hasResult()) {
          result.complete(event.getResult());
        }
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        if (!result.isDone()) {
          result.completeExceptionally(io.grpc.Status.INTERNAL
              .withDescription("segment stream ended without a result").asRuntimeException());
        }
      }
    });
    return result;
  }

  /** Closes the channel; calls still on it fail with CANCELLED or UNAVAILABLE. */
  void close() {
    channel.shutdownNow();
  }

  private static <Q, R> CompletableFuture<R> unary(BiConsumer<Q, StreamObserver<R>> call, Q request) {
    CompletableFuture<R> result = new CompletableFuture<>();
    call.accept(request, new ClientResponseObserver<Q, R>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
        result.whenComplete((r, t) -> {
          if (result.isCancelled()) {
            requestStream.cancel("caller cancelled", null);
          }
        });
      }

      @Override
      public void onNext(R value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        // A unary call has had its onNext already; completing here too would be a no-op.
        if (!result.isDone()) {
          result.completeExceptionally(
              io.grpc.Status.INTERNAL.withDescription("unary call completed without a response").asRuntimeException());
        }
      }
    });
    return result;
  }
}
