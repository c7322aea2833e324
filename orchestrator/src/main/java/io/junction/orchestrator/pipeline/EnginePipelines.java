package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.engine.CompiledPipelines;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineConfigException;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.engine.PipelineSpec;
import io.junction.engine.Placement;
import io.junction.engine.PlanCodec;
import io.junction.engine.RunOptions;
import io.junction.engine.SegmentPlan;
import io.junction.engine.StepLimit;
import io.junction.orchestrator.admission.Admission;
import io.junction.orchestrator.pool.Pools;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The engine's compiled pipelines over the orchestrator's pools; admits every run at the door
 * ({@link Admission}) before any step starts, turns a gRPC deadline into the engine's budget,
 * and gives every run the configured step limit.
 */
final class EnginePipelines implements Pipelines {
  private final CompiledPipelines compiled;
  private final Map<String, IterationOutputs> iterationOutputs;
  private final StepLimit steps;
  private final Admission admission;

  private EnginePipelines(CompiledPipelines compiled, Map<String, IterationOutputs> iterationOutputs,
      PipelineLimits limits, Admission admission) {
    this.compiled = compiled;
    this.iterationOutputs = Map.copyOf(iterationOutputs);
    this.steps = StepLimit.of(limits.maxStepsExecuted());
    this.admission = admission;
  }

  /**
   * Compiles against the pools' models, fusing steps whose models share a pool that runs
   * segments, and gives each such pool its segment plans.
   */
  static Pipelines compile(List<PipelineSpec> specs, Pools pools, PipelineLimits limits, Admission admission) {
    Placement placement = Placement.of(
        model -> pools.poolOf(model).orElse(""),
        model -> pools.poolOf(model).map(pools::runsSegments).orElse(false));
    CompiledPipelines compiled = CompiledPipelines.compile(specs, pools.models(), new PoolInvoker(pools), System::nanoTime,
        placement);
    Map<String, List<io.junction.proto.v1.SegmentPlan>> byPool = new LinkedHashMap<>();
    for (SegmentPlan plan : compiled.segmentPlans()) {
      byPool.computeIfAbsent(plan.group(), k -> new ArrayList<>()).add(PlanCodec.toMessage(plan));
    }
    byPool.forEach((pool, plans) -> {
      try {
        pools.installPlans(pool, plans);
      } catch (IllegalArgumentException e) {
        throw new PipelineConfigException("fused segments: " + e.getMessage()
            + " (expected: plans that compile on the workers; set fuse: false on the pipeline to run it step by step)");
      }
    });
    Map<String, IterationOutputs> iterationOutputs = new LinkedHashMap<>();
    specs.forEach(spec -> iterationOutputs.put(spec.name(), IterationOutputs.of(spec)));
    return new EnginePipelines(compiled, iterationOutputs, limits, admission);
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
  public IterationOutputs iterationOutputs(String pipeline) {
    return iterationOutputs.getOrDefault(pipeline, IterationOutputs.NONE);
  }

  @Override
  public CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener) {
    return admission.run(pipeline, () -> {
      long timeout = deadline == null ? CompiledPipelines.NO_DEADLINE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
      return compiled.run(pipeline, inputs, options.withSteps(steps), timeout, listener);
    });
  }

  @Override
  public Admission admission() {
    return admission;
  }
}
