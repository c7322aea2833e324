package io.junction.engine;

import io.junction.tensor.Tensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How the engine calls a model: through a pool of workers in the orchestrator, in process in a
 * worker. The engine schedules no timers of its own: each call is given the time it may take,
 * and the invoker's transport enforces it (the gRPC deadline of a worker call, the queue deadline
 * of a model call in process), so a step costs no timer task.
 */
public interface ModelInvoker {

  /**
   * One model call. Never blocks; the future may complete on any thread, and what is chained on
   * it must not block. It completes with the asked outputs (any order, found by name), or fails;
   * once {@code timeoutNanos} have passed it fails in a way {@link #classify} calls
   * {@link Failure#TIMED_OUT}. Cancelling it cancels the call.
   *
   * @param outputs outputs to ask for; never empty
   */
  CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos);

  /**
   * As {@link #infer(String, List, List, long)}, for a run that names an affinity key
   * ({@link RunOptions#affinityKey()}): an invoker that places calls by key (the orchestrator's,
   * for pools with session affinity) sends the calls of one key to one replica. Invokers that do
   * not place calls keep this default, which ignores the key.
   *
   * @param affinityKey the run's key, or null for none
   */
  default CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
      long timeoutNanos, String affinityKey) {
    return infer(model, inputs, outputs, timeoutNanos);
  }

  /**
   * As {@link #infer(String, List, List, long, String)}, for an attempt of a step: {@code retry} is
   * null for the first, else says how the earlier attempts failed, for an invoker that places
   * calls to send this one elsewhere and to count it against a retry budget (refusing it with a
   * failure it classifies {@link Failure#RETRIES_SPENT}). Invokers that do not place calls keep
   * this default, which ignores it.
   */
  default CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
      long timeoutNanos, String affinityKey, Retry retry) {
    return infer(model, inputs, outputs, timeoutNanos, affinityKey);
  }

  /**
   * Runs a fused segment whose plan the workers of {@code group} hold (see {@link SegmentPlan}).
   * Streams each loop iteration of the segment to {@code listener} as it comes, and each of the
   * segment's outputs as soon as the worker's step producing it is done
   * ({@link IterationListener#onOutput}, named as the plan's outputs are), then completes with the
   * segment's outputs and the timings of its steps. A failure inside the segment, which
   * the worker's engine has named, is a {@link SegmentFailedException}; other failures (the
   * transport's) are classified as {@link #infer}'s are. Invokers that cannot run segments keep
   * this default; the compiler fuses nothing for them ({@link Placement}).
   *
   * @param maxIterations caps every loop of the segment; {@link Integer#MAX_VALUE} for none
   * @param listener {@link IterationListener#NONE} when nobody streams the run: the invoker
   *     should then not have the iterations nor early outputs sent at all
   */
  default CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("segment " + planId
        + ": this invoker runs no segments (expected: a placement that fuses nothing)"));
  }

  /**
   * As {@link #runSegment(String, String, List, List, int, long, IterationListener)}, placing the
   * segment by the run's affinity key as {@link #infer(String, List, List, long, String)} does.
   *
   * @param affinityKey the run's key, or null for none
   */
  default CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener, String affinityKey) {
    return runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, listener);
  }

  /**
   * As {@link #runSegment(String, String, List, List, int, long, IterationListener, String)}, with
   * the pipeline run's step limit and what it executed so far, for the worker to stop the segment
   * where the run passes the limit. Invokers that cannot carry it keep this default: the segment's
   * steps are still counted, when it answers ({@link SegmentAnswer#stepsExecuted()}).
   */
  default CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, long timeoutNanos, IterationListener listener,
      String affinityKey) {
    return runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, listener, affinityKey);
  }

  /**
   * As {@link #runSegment(String, String, List, List, int, StepLimit, long, IterationListener, String)},
   * for an attempt of the segment: {@code retry} as for {@link #infer(String, List, List, long, String, Retry)}.
   */
  default CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, long timeoutNanos, IterationListener listener,
      String affinityKey, Retry retry) {
    return runSegment(group, planId, inputs, outputs, maxIterations, steps, timeoutNanos, listener, affinityKey);
  }

  /**
   * What a segment answered: its outputs, what each of its steps cost, where it ran, and how many
   * steps it executed ({@link StepLimit} counts them so).
   */
  record SegmentAnswer(List<Tensor> outputs, List<PipelineResult.StepTiming> steps, String ranOn, int stepsExecuted) {
    public SegmentAnswer {
      outputs = List.copyOf(outputs);
      steps = List.copyOf(steps);
    }

    /** An answer whose steps each executed once (no loop among them). */
    public SegmentAnswer(List<Tensor> outputs, List<PipelineResult.StepTiming> steps, String ranOn) {
      this(outputs, steps, ranOn, steps.size());
    }
  }

  /** What a failure of {@link #infer} or {@link #runSegment} means to the step that made the call. */
  Failure classify(Throwable error);

  /** The engine's own words for how a call failed; the transport's codes stay behind the invoker. */
  enum Failure {
    /** The call did not reach a model, or its replica went away: another attempt may succeed. */
    RETRYABLE,
    /**
     * As {@link #RETRYABLE}, but the invoker refuses more retries now (a retry budget is spent):
     * the step's attempts end with this failure, and its fallback, if it has one, runs.
     */
    RETRIES_SPENT,
    /** The call's time ran out. */
    TIMED_OUT,
    /** Anything else: the step fails with this error as its cause. */
    FINAL
  }
}
