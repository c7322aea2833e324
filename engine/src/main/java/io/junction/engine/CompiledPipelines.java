package io.junction.engine;

import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The engine's public face: pipelines compiled once into immutable plans, shared by every run,
 * and one call to run one of them. A run checks the caller's tensors against the pipeline's
 * declared inputs (the one check a plan cannot make ahead) and hands them to a fresh
 * {@link Execution}. Both processes use it: the orchestrator over its pools, a worker over
 * its own models.
 */
public final class CompiledPipelines {
  /** For {@link #run}: the run has no deadline of its own. */
  public static final long NO_DEADLINE = Long.MAX_VALUE;

  private final Map<String, Plan> plans;
  private final ModelInvoker invoker;
  private final Placement placement;
  private final LongSupplier ticker;
  /** Pipeline names in the order configured, for listing. */
  private final List<String> order;

  CompiledPipelines(Map<String, Plan> plans, ModelInvoker invoker, Placement placement, LongSupplier ticker) {
    this.plans = Map.copyOf(plans);
    this.invoker = invoker;
    this.placement = placement;
    this.ticker = ticker;
    this.order = List.copyOf(plans.keySet());
  }

  /**
   * Compiles pipelines against the signatures of the models {@code invoker} can call. Everything
   * that can be checked without data is checked here, once: nothing is validated again per
   * request.
   *
   * @param ticker the clock deadlines are measured on, in nanoseconds ({@code System::nanoTime})
   * @throws PipelineConfigException naming the pipeline, the step and the problem
   */
  public static CompiledPipelines compile(List<PipelineSpec> specs, Map<String, ModelSignature> models,
      ModelInvoker invoker, LongSupplier ticker) {
    return compile(specs, models, invoker, ticker, Placement.NONE);
  }

  /**
   * Compiles as {@link #compile(List, Map, ModelInvoker, LongSupplier)} does, and cuts each
   * pipeline (unless it says {@code fuse: false}) into fused segments where {@code placement}
   * allows: the invoker must then run {@link #segmentPlans()} through
   * {@link ModelInvoker#runSegment}.
   */
  public static CompiledPipelines compile(List<PipelineSpec> specs, Map<String, ModelSignature> models,
      ModelInvoker invoker, LongSupplier ticker, Placement placement) {
    return new CompiledPipelines(PipelineCompiler.compileAll(specs, models, placement), invoker, placement, ticker);
  }

  /** The plans of every fused segment, for the workers of their groups to load before a run calls them. */
  public List<SegmentPlan> segmentPlans() {
    return order.stream().flatMap(n -> plans.get(n).segments().stream()).toList();
  }

  /** Names and signatures of every pipeline, in the order configured. */
  public List<PipelineDescription> describe() {
    return order.stream().map(n -> plans.get(n).description()).toList();
  }

  public Optional<PipelineDescription> describe(String pipeline) {
    return Optional.ofNullable(plans.get(pipeline)).map(Plan::description);
  }

  /**
   * Runs a pipeline. Completes exceptionally with {@link UnknownPipelineException},
   * {@link PipelineInputException} (the inputs do not match the pipeline's declared inputs,
   * or a loop was fed a batch larger than 1), {@link StepFailedException} (naming the step;
   * its cause is the step's own error, a {@link StepTimeoutException} for a timeout, a
   * {@link StepLimitException} for a run past {@link RunOptions#steps()}) or
   * {@link PipelineStalledException} (outputs missing because their steps were skipped).
   * Cancelling the returned future (or completing it any other way first, as orTimeout does)
   * stops the run and cancels its calls in flight.
   *
   * @param timeoutNanos what is left of the request's deadline, or {@link #NO_DEADLINE}
   * @param listener     gets each loop iteration's collected values as they come (streaming)
   */
  public CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, long timeoutNanos, IterationListener listener) {
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
      long deadlineAt = timeoutNanos == NO_DEADLINE ? NO_DEADLINE : saturatedAdd(ticker.getAsLong(), timeoutNanos);
      execution = new Execution(plan, invoker, placement, ticker, deadlineAt, checkInputs(plan, inputs),
          wantedOutputs(plan, options.outputs()), cap, options.steps(), listener, options.affinityKey().orElse(null));
    } catch (PipelineInputException e) {
      return CompletableFuture.failedFuture(e);
    }
    execution.start();
    return execution.result;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? NO_DEADLINE : r;
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

  /**
   * Binds the caller's tensors to the declared inputs: names, datatypes, shapes (-1 matches any
   * size). An input with a default that the caller left out gets its default. Session values
   * ({@link SessionInputs}) the pipeline does not read are dropped, and those it reads but the
   * caller left out get the empty session's value.
   */
  static Tensor[] checkInputs(Plan plan, List<Tensor> given) {
    Tensor[] bound = new Tensor[plan.inputs().size()];
    for (Tensor t : given) {
      Integer index = plan.inputIndex().get(t.name());
      if (index == null && SessionInputs.spec(t.name()).isPresent()) {
        continue;
      }
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
      if (bound[i] == null && i >= plan.callerInputs()) {
        bound[i] = SessionInputs.empty(plan.inputs().get(i).name());
      } else if (bound[i] == null && plan.defaults().containsKey(i)) {
        bound[i] = plan.defaults().get(i);
      } else if (bound[i] == null) {
        throw new PipelineInputException(plan.inputs().get(i).name() + ": missing (expected inputs: " + expected(plan) + ")");
      }
    }
    return bound;
  }

  private static String expected(Plan plan) {
    if (plan.callerInputs() == 0) {
      return "none";
    }
    List<TensorSpec> inputs = plan.inputs().subList(0, plan.callerInputs());
    return java.util.stream.IntStream.range(0, inputs.size())
        .mapToObj(i -> inputs.get(i).name() + " " + PipelineCompiler.describe(inputs.get(i))
            + (plan.defaults().containsKey(i) ? " (optional)" : ""))
        .collect(Collectors.joining(", "));
  }
}
