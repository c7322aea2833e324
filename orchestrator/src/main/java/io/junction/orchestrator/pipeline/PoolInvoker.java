package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.grpc.Status;
import io.junction.engine.IterationListener;
import io.junction.engine.ModelInvoker;
import io.junction.engine.Retry;
import io.junction.engine.SegmentFailedException;
import io.junction.engine.StepLimit;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.orchestrator.pool.PoolQueueTimeoutException;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.orchestrator.pool.RetryBudgetSpentException;
import io.junction.orchestrator.pool.SegmentFailedInWorkerException;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The engine's model calls and fused segments as pool calls: the step's budget becomes the
 * worker call's gRPC deadline (the only timer a step has), and the transport's codes become the
 * engine's outcomes.
 */
final class PoolInvoker implements ModelInvoker {
  private final Pools pools;

  PoolInvoker(Pools pools) {
    this.pools = pools;
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos) {
    return infer(model, inputs, outputs, timeoutNanos, null);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos,
      String affinityKey) {
    return infer(model, inputs, outputs, timeoutNanos, affinityKey, null);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos,
      String affinityKey, Retry retry) {
    return pools.infer(model, inputs, outputs, Deadline.after(timeoutNanos, TimeUnit.NANOSECONDS), affinityKey, retry);
  }

  @Override
  public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener) {
    return runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, listener, null);
  }

  @Override
  public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener, String affinityKey) {
    return runSegment(group, planId, inputs, outputs, maxIterations, StepLimit.NONE, timeoutNanos, listener,
        affinityKey);
  }

  @Override
  public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, long timeoutNanos, IterationListener listener,
      String affinityKey) {
    return runSegment(group, planId, inputs, outputs, maxIterations, steps, timeoutNanos, listener, affinityKey, null);
  }

  @Override
  public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, long timeoutNanos, IterationListener listener,
      String affinityKey, Retry retry) {
    CompletableFuture<SegmentAnswer> answer = new CompletableFuture<>();
    IterationListener relay = listener == IterationListener.NONE ? IterationListener.NONE : new IterationListener() {
      @Override
      public void onIteration(String step, int index, List<Tensor> values) {
        guarded(answer, () -> listener.onIteration(step, index, values));
      }

      @Override
      public void onOutput(String output, Tensor value) {
        guarded(answer, () -> listener.onOutput(output, value));
      }
    };
    CompletableFuture<SegmentAnswer> call = pools.runSegment(group, planId, inputs, outputs,
        maxIterations == Integer.MAX_VALUE ? 0 : maxIterations, steps, Deadline.after(timeoutNanos, TimeUnit.NANOSECONDS),
        relay, affinityKey, retry);
    call.whenComplete((reply, error) -> {
      if (error == null) {
        answer.complete(reply);
      } else if (error instanceof SegmentFailedInWorkerException e) {
        answer.completeExceptionally(new SegmentFailedException(e.getMessage(), e));
      } else {
        answer.completeExceptionally(error);
      }
    });
    answer.whenComplete((v, t) -> call.cancel(false));
    return answer;
  }

  /** Runs on the transport's thread, where an exception would vanish: it fails the run instead, and cancels the call. */
  private static void guarded(CompletableFuture<SegmentAnswer> answer, Runnable tell) {
    try {
      tell.run();
    } catch (RuntimeException e) {
      answer.completeExceptionally(e);
    }
  }

  @Override
  public Failure classify(Throwable error) {
    if (error instanceof RetryBudgetSpentException) {
      return Failure.RETRIES_SPENT;
    }
    if (error instanceof SegmentFailedException s) {
      // Its steps had their own timeouts and retries in the worker: only a worker that could not
      // serve it (draining, a model not loaded, its queue full) is worth another replica.
      return s.getCause() instanceof SegmentFailedInWorkerException w && notServed(w.status().getCode())
          ? Failure.RETRYABLE : Failure.FINAL;
    }
    if (error instanceof NoReadyReplicaException) {
      return Failure.RETRYABLE;
    }
    if (error instanceof PoolQueueTimeoutException) {
      return Failure.TIMED_OUT;
    }
    if (error instanceof ReplicaCallException r) {
      Status.Code code = r.status().getCode();
      if (code == Status.Code.DEADLINE_EXCEEDED) {
        return Failure.TIMED_OUT;
      }
      if (notServed(code)) {
        return Failure.RETRYABLE;
      }
    }
    return Failure.FINAL;
  }

  /**
   * A worker's answer that says it did not serve the call, so another replica may: UNAVAILABLE
   * (it could not, or the connection was lost) or RESOURCE_EXHAUSTED (its queue is full).
   */
  private static boolean notServed(Status.Code code) {
    return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
  }
}
