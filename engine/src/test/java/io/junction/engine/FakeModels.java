package io.junction.engine;

import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A fake invoker for unit tests of the engine alone: each model answers with a handler (at once,
 * or later through a held future), every call is recorded, and a call that has not answered when
 * its time is up fails as timed out, on the fake clock, as a real transport's deadline would.
 */
final class FakeModels implements ModelInvoker {
  private final FakeTime time;
  private final Map<String, ModelSignature> models = new LinkedHashMap<>();
  private final Map<String, Function<Call, CompletableFuture<List<Tensor>>>> handlers = new LinkedHashMap<>();
  private final List<Call> calls = new ArrayList<>();
  /** What each model call was told of earlier attempts (null for a first attempt), in call order. */
  private final List<Retry> retries = new ArrayList<>();

  FakeModels(FakeTime time) {
    this.time = time;
  }

  /** One recorded call; {@code future} is what the engine got. */
  record Call(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos,
      CompletableFuture<List<Tensor>> future) {
    Tensor input(String name) {
      return inputs.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    long timeoutMillis() {
      return TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
    }
  }

  /** A failure the fake transport reports, with the meaning the engine should give it. */
  static final class CallFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final Failure kind;

    CallFailed(Failure kind, String message) {
      super(message);
      this.kind = kind;
    }
  }

  FakeModels add(ModelSignature signature, Function<Call, CompletableFuture<List<Tensor>>> handler) {
    models.put(signature.name(), signature);
    handlers.put(signature.name(), handler);
    return this;
  }

  /** Answers at once with what {@code fn} computes from the call. */
  static Function<Call, CompletableFuture<List<Tensor>>> answer(Function<Call, List<Tensor>> fn) {
    return call -> CompletableFuture.completedFuture(fn.apply(call));
  }

  /** Never answers by itself: the test completes {@link Call#future()} (or its time runs out). */
  static Function<Call, CompletableFuture<List<Tensor>>> hold() {
    return call -> new CompletableFuture<>();
  }

  void handle(String model, Function<Call, CompletableFuture<List<Tensor>>> handler) {
    handlers.put(model, handler);
  }

  Map<String, ModelSignature> signatures() {
    return Map.copyOf(models);
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  synchronized List<Call> calls(String model) {
    return calls.stream().filter(c -> c.model().equals(model)).toList();
  }

  synchronized List<Retry> retries() {
    return new ArrayList<>(retries);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
      long timeoutNanos, String affinityKey, Retry retry) {
    synchronized (this) {
      retries.add(retry);
    }
    return infer(model, inputs, outputs, timeoutNanos, affinityKey);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos) {
    Function<Call, CompletableFuture<List<Tensor>>> handler = handlers.get(model);
    if (handler == null) {
      return CompletableFuture.failedFuture(new CallFailed(Failure.FINAL, "model " + model + ": unknown"));
    }
    CompletableFuture<List<Tensor>> future = new CompletableFuture<>();
    Call call = new Call(model, List.copyOf(inputs), List.copyOf(outputs), timeoutNanos, future);
    synchronized (this) {
      calls.add(call);
    }
    Runnable cancelTimer = time.schedule(
        () -> future.completeExceptionally(new CallFailed(Failure.TIMED_OUT, "deadline exceeded")), timeoutNanos);
    future.whenComplete((r, e) -> cancelTimer.run());
    handler.apply(call).whenComplete((r, e) -> {
      if (e != null) {
        future.completeExceptionally(e);
      } else {
        future.complete(r);
      }
    });
    return future;
  }

  /** As the orchestrator's pool invoker does: a segment's failure is retried only when it is retryable. */
  @Override
  public Failure classify(Throwable error) {
    if (error instanceof SegmentFailedException s) {
      return s.getCause() instanceof CallFailed f && f.kind == Failure.RETRYABLE ? Failure.RETRYABLE : Failure.FINAL;
    }
    return error instanceof CallFailed f ? f.kind : Failure.FINAL;
  }

  // ---- segments: run here by the same engine, as a worker would ----

  private final Map<String, CompiledPipelines> plans = new LinkedHashMap<>();
  private final List<String> segmentCalls = new ArrayList<>();

  /** Loads plans as a worker does: each compiled on its own, fusing nothing further. */
  synchronized void load(List<SegmentPlan> segmentPlans) {
    for (SegmentPlan p : segmentPlans) {
      plans.put(p.id(), CompiledPipelines.compile(List.of(p.spec()), signatures(), this, time, Placement.NONE));
    }
  }

  synchronized List<String> segmentCalls() {
    return List.copyOf(segmentCalls);
  }

  @Override
  public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener) {
    return runSegment(group, planId, inputs, outputs, maxIterations, StepLimit.NONE, timeoutNanos, listener, null);
  }

  /** As a worker does: the segment's run carries the pipeline run's step limit and count. */
  @Override
  public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, long timeoutNanos, IterationListener listener,
      String affinityKey) {
    CompiledPipelines plan;
    synchronized (this) {
      segmentCalls.add(planId);
      plan = plans.get(planId);
    }
    if (plan == null) {
      return CompletableFuture.failedFuture(new CallFailed(Failure.FINAL, "plan " + planId + ": not loaded"));
    }
    RunOptions options = new RunOptions(outputs,
        maxIterations == Integer.MAX_VALUE ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(maxIterations))
        .withSteps(steps);
    String name = plan.describe().get(0).name();
    CompletableFuture<SegmentAnswer> answer = new CompletableFuture<>();
    CompletableFuture<PipelineResult> inner = plan.run(name, inputs, options, timeoutNanos, listener);
    // As a worker's RunSegment does when its caller cancels the call: the run inside stops.
    answer.whenComplete((a, e) -> {
      if (answer.isCancelled()) {
        inner.cancel(false);
      }
    });
    inner.whenComplete((r, e) -> {
      if (e == null) {
        answer.complete(new SegmentAnswer(r.outputs(), r.steps(), "fake-worker", r.stepsExecuted()));
        return;
      }
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      // As a worker's segment service answers: the failure as the inner engine named it.
      Failure kind = cause instanceof StepFailedException f && f.getCause() instanceof StepTimeoutException
          ? Failure.TIMED_OUT
          : cause instanceof StepFailedException f && f.getCause() != null ? classify(f.getCause()) : Failure.FINAL;
      answer.completeExceptionally(new SegmentFailedException(cause.getMessage(), new CallFailed(kind, cause.getMessage())));
    });
    return answer;
  }
}
