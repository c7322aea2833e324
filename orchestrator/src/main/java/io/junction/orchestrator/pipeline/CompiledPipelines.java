package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.orchestrator.pool.ModelSignature.TensorSpec;
import io.junction.orchestrator.pool.Pools;
import io.junction.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The compiled pipelines: immutable plans, shared by every run. A run checks the caller's
 * tensors against the pipeline's declared inputs (the one check a plan cannot make ahead)
 * and hands them to a fresh {@link Execution}.
 */
final class CompiledPipelines implements Pipelines {
  private final Map<String, Plan> plans;
  private final Pools pools;
  private final Deadline.Ticker ticker;
  private final StepTimer timer;
  /** Pipeline names in the order configured, for listing. */
  private final List<String> order;

  CompiledPipelines(Map<String, Plan> plans, Pools pools, Deadline.Ticker ticker, StepTimer timer) {
    this.plans = Map.copyOf(plans);
    this.pools = pools;
    this.ticker = ticker;
    this.timer = timer;
    this.order = List.copyOf(plans.keySet());
  }

  @Override
  public List<PipelineDescription> describe() {
    return order.stream().map(n -> plans.get(n).description()).toList();
  }

  @Override
  public Optional<PipelineDescription> describe(String pipeline) {
    return Optional.ofNullable(plans.get(pipeline)).map(Plan::description);
  }

  @Override
  public CompletableFuture<PipelineResult> run(String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline) {
    return run(pipeline, inputs, options, deadline, IterationListener.NONE);
  }

  @Override
  public CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener) {
    Plan plan = plans.get(pipeline);
    if (plan == null) {
      return CompletableFuture.failedFuture(new UnknownPipelineException(pipeline, plans.keySet()));
    }
    Execution execution;
    try {
      int cap = Integer.MAX_VALUE;
      if (options.maxIterations().isPresent()) {
        cap = options.maxIterations().getAsInt();
        if (cap < 1) {
          throw new PipelineInputException("max_iterations: " + cap + " (expected: >= 1)");
        }
      }
      execution = new Execution(plan, pools, ticker, timer, deadline, checkInputs(plan, inputs),
          wantedOutputs(plan, options.outputs()), cap, listener);
    } catch (PipelineInputException e) {
      return CompletableFuture.failedFuture(e);
    }
    execution.start();
    return execution.result;
  }

  private static int[] wantedOutputs(Plan plan, List<String> requested) {
    if (requested.isEmpty()) {
      return plan.outputIndex().values().stream().mapToInt(Integer::intValue).sorted().toArray();
    }
    Set<Integer> wanted = new LinkedHashSet<>();
    for (String name : requested) {
      Integer index = plan.outputIndex().get(name);
      if (index == null) {
        throw new PipelineInputException("outputs: \"" + name + "\" (expected: outputs of pipeline " + plan.name()
            + ": " + plan.outputs().stream().map(Plan.Output::name).collect(Collectors.joining(", ")) + ")");
      }
      wanted.add(index);
    }
    // Declared order, whatever order they were asked in.
    return wanted.stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /** Binds the caller's tensors to the declared inputs: names, datatypes, shapes (-1 matches any size). */
  static Tensor[] checkInputs(Plan plan, List<Tensor> given) {
    Tensor[] bound = new Tensor[plan.inputs().size()];
    for (Tensor t : given) {
      Integer index = plan.inputIndex().get(t.name());
      if (index == null) {
        throw new PipelineInputException(t.name() + ": not an input of pipeline " + plan.name()
            + " (expected inputs: " + expected(plan) + ")");
      }
      if (bound[index] != null) {
        throw new PipelineInputException(t.name() + ": given twice (expected: each input once)");
      }
      TensorSpec spec = plan.inputs().get(index);
      if (t.datatype() != spec.datatype()) {
        throw new PipelineInputException(t.name() + ".datatype: " + t.datatype() + " (expected: " + spec.datatype() + ")");
      }
      if (!PipelineCompiler.fits(Arrays.stream(t.shape()).boxed().toList(), spec.shape())) {
        throw new PipelineInputException(t.name() + ".shape: " + Tensor.shapeString(t.shape())
            + " (expected: " + PipelineCompiler.shape(spec.shape()) + ", where -1 matches any size)");
      }
      bound[index] = t;
    }
    for (int i = 0; i < bound.length; i++) {
      if (bound[i] == null) {
        throw new PipelineInputException(plan.inputs().get(i).name() + ": missing (expected inputs: " + expected(plan) + ")");
      }
    }
    return bound;
  }

  private static String expected(Plan plan) {
    return plan.inputs().stream().map(t -> t.name() + " " + PipelineCompiler.describe(t)).collect(Collectors.joining(", "));
  }
}
