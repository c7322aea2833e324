package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The public face of the pipeline package: the compiled pipelines of the orchestrator and one
 * call to run one of them. Plans are compiled once at start; a run gets its own execution.
 */
public interface Pipelines {

  /** Names and signatures of every pipeline, for admin listing and the Open Inference Protocol. */
  List<PipelineDescription> describe();

  Optional<PipelineDescription> describe(String pipeline);

  /**
   * Runs a pipeline. Completes exceptionally with {@link UnknownPipelineException},
   * {@link PipelineInputException} (the inputs do not match the pipeline's declared inputs)
   * or {@link StepFailedException} (naming the step; its cause is the step's own error).
   */
  CompletableFuture<PipelineResult> run(String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline);
}
