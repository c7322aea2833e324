package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.engine.PipelineSpec;
import io.junction.engine.RunOptions;
import io.junction.orchestrator.admission.Admission;
import io.junction.orchestrator.admission.AdmissionConfig;
import io.junction.orchestrator.pool.Pools;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The public face of the pipeline package: the compiled pipelines of the orchestrator and one
 * call to run one of them, in the services' terms (a gRPC deadline). The engine module does the
 * work; this package binds it to the pools.
 */
public interface Pipelines {

  /**
   * Compiles pipelines against the signatures of the models the pools serve
   * ({@link Pools#models()}, so call it after {@link Pools#start()}). Everything that can be
   * checked without data is checked here, once: nothing is validated again per request.
   *
   * @throws io.junction.engine.PipelineConfigException naming the pipeline, the step and the problem
   */
  static Pipelines compile(List<PipelineSpec> specs, Pools pools) {
    return compile(specs, pools, PipelineLimits.DEFAULT);
  }

  /** As {@link #compile(List, Pools)}, every run held to {@code limits}. */
  static Pipelines compile(List<PipelineSpec> specs, Pools pools, PipelineLimits limits) {
    return compile(specs, pools, limits, new Admission(AdmissionConfig.DEFAULT));
  }

  /** As {@link #compile(List, Pools, PipelineLimits)}, every run admitted by {@code admission} first. */
  static Pipelines compile(List<PipelineSpec> specs, Pools pools, PipelineLimits limits, Admission admission) {
    return EnginePipelines.compile(specs, pools, limits, admission);
  }

  /**
   * The door every run goes through (see {@link #run}); the services admit a plain model call
   * through it too. Pipelines that admit nothing (test doubles) keep this default: a door that
   * lets everything in.
   */
  default Admission admission() {
    return Admission.unlimited();
  }

  /** Names and signatures of every pipeline, for admin listing and the Open Inference Protocol. */
  List<PipelineDescription> describe();

  Optional<PipelineDescription> describe(String pipeline);

  /**
   * Which of a pipeline's outputs its loop iterations carry, for callers that stream a run
   * ({@link IterationOutputs#NONE} for a name that is not a pipeline).
   */
  IterationOutputs iterationOutputs(String pipeline);

  /**
   * Runs a pipeline: see {@link io.junction.engine.CompiledPipelines#run} for how it completes.
   * The run is admitted first ({@link #admission()}): refused at once, its future fails with
   * {@link io.junction.orchestrator.admission.AdmissionRejectedException} and no step starts;
   * admitted, it holds its permit until the future completes.
   * Cancelling the returned future (or completing it any other way first, as orTimeout does)
   * stops the run and cancels its calls in flight.
   *
   * @param deadline the request's deadline, or null for none
   */
  default CompletableFuture<PipelineResult> run(String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline) {
    return run(pipeline, inputs, options, deadline, IterationListener.NONE);
  }

  /**
   * Runs a pipeline as {@link #run(String, List, RunOptions, Deadline)} does, and hands each
   * loop iteration's collected values to {@code listener} as they come (streaming).
   */
  CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener);
}
