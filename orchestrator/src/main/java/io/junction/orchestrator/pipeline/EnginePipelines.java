package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.engine.CompiledPipelines;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.engine.PipelineSpec;
import io.junction.engine.RunOptions;
import io.junction.orchestrator.pool.Pools;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The engine's compiled pipelines over the orchestrator's pools; turns a gRPC deadline into the engine's budget. */
final class EnginePipelines implements Pipelines {
  private final CompiledPipelines compiled;

  private EnginePipelines(CompiledPipelines compiled) {
    this.compiled = compiled;
  }

  static Pipelines compile(List<PipelineSpec> specs, Pools pools) {
    return new EnginePipelines(CompiledPipelines.compile(specs, pools.models(), new PoolInvoker(pools), System::nanoTime));
  }

  @Override
  public List<PipelineDescription> describe() {
    return compiled.describe();
  }

  @Override
  public Optional<PipelineDescription> describe(String pipeline) {
    return compiled.describe(pipeline);
  }

  @Override
  public CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener) {
    long timeout = deadline == null ? CompiledPipelines.NO_DEADLINE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
    return compiled.run(pipeline, inputs, options, timeout, listener);
  }
}
