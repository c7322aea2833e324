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
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

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

  WorkerClient(String endpoint, ManagedChannel channel) {
    this.endpoint = endpoint;
    this.channel = channel;
    this.oip = GRPCInferenceServiceGrpc.newStub(channel);
    this.control = WorkerControlGrpc.newStub(channel);
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
