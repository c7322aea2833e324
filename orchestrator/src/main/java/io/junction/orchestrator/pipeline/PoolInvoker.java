package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.grpc.Status;
import io.junction.engine.ModelInvoker;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The engine's model calls as pool calls: the step's budget becomes the worker call's gRPC
 * deadline (the only timer a step has), and the transport's codes become the engine's outcomes.
 */
final class PoolInvoker implements ModelInvoker {
  private final Pools pools;

  PoolInvoker(Pools pools) {
    this.pools = pools;
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos) {
    return pools.infer(model, inputs, outputs, Deadline.after(timeoutNanos, TimeUnit.NANOSECONDS));
  }

  @Override
  public Failure classify(Throwable error) {
    if (error instanceof NoReadyReplicaException) {
      return Failure.RETRYABLE;
    }
    if (error instanceof ReplicaCallException r) {
      Status.Code code = r.status().getCode();
      if (code == Status.Code.DEADLINE_EXCEEDED) {
        return Failure.TIMED_OUT;
      }
      if (code == Status.Code.UNAVAILABLE) {
        return Failure.RETRYABLE;
      }
    }
    return Failure.FINAL;
  }
}
