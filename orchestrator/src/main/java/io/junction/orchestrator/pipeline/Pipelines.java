package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.orchestrator.pool.Pools;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The public face of the pipeline package: the compiled pipelines of the orchestrator and one
 * call to run one of them. Plans are compiled once at start; a run gets its own execution.
 */
public interface Pipelines {

  /**
   * Compiles pipelines against the signatures of the models the pools serve
   * ({@link Pools#models()}, so call it after {@link Pools#start()}). Everything that can be
   * checked without data is checked here, once: nothing is validated again per request.
   *
   * @throws PipelineConfigException naming the pipeline, the step and the problem
   */
  static Pipelines compile(List<PipelineSpec> specs, Pools pools) {
    return PipelineCompiler.compile(specs, pools, Deadline.getSystemTicker(), StepTimer.daemon());
  }

  /** Names and signatures of every pipeline, for admin listing and the Open Inference Protocol. */
  List<PipelineDescription> describe();

  Optional<PipelineDescription> describe(String pipeline);

  /**
   * Runs a pipeline. Completes exceptionally with {@link UnknownPipelineException},
   * {@link PipelineInputException} (the inputs do not match the pipeline's declared inputs,
   * or a loop was fed a batch larger than 1), {@link StepFailedException} (naming the step;
   * its cause is the step's own error, a {@link StepTimeoutException} for a timeout) or
   * {@link PipelineStalledException} (outputs missing because their steps were skipped).
   * Cancelling the returned future (or completing it any other way first, as orTimeout does)
   * stops the run and cancels its calls in flight.
   *
   * @param deadline the request's deadline, or null for none
   */
  CompletableFuture<PipelineResult> run(String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline);

  /**
   * Runs a pipeline as {@link #run(String, List, RunOptions, Deadline)} does, and hands each
   * loop iteration's collected values to {@code listener} as they come (streaming).
   * Implementations without loops or streaming may keep this default, which delivers no
   * iterations; the compiled pipelines override it.
   */
  default CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener) {
    return run(pipeline, inputs, options, deadline);
  }
}
