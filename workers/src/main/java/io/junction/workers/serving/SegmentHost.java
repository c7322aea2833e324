package io.junction.workers.serving;

import io.junction.engine.CompiledPipelines;
import io.junction.engine.IterationListener;
import io.junction.engine.ModelInvoker;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineResult;
import io.junction.engine.Placement;
import io.junction.engine.RunOptions;
import io.junction.engine.SegmentPlan;
import io.junction.engine.StepLimit;
import io.junction.engine.StepSpec;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import io.junction.workers.repository.ModelConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fused segments this worker runs: plans the orchestrator loaded, compiled by the pipeline
 * engine against the models loaded here and run by it, with every model call going through
 * {@link ModelHost#infer} as a direct call does (the same checks, queue and batching). Knows
 * nothing of gRPC.
 */
public final class SegmentHost {
  private static final Logger log = LoggerFactory.getLogger(SegmentHost.class);

  private final ModelHost host;
  private final LongSupplier nanoClock;
  private final Map<String, CompiledPipelines> plans = new ConcurrentHashMap<>();
  /** Plans that work row by row, with the most rows a run may carry (see {@link #batchRows()}). */
  private final Map<String, Integer> batchRows = new ConcurrentHashMap<>();
  private final ModelInvoker invoker;

  public SegmentHost(ModelHost host, LongSupplier nanoClock) {
    this.host = host;
    this.nanoClock = nanoClock;
    this.invoker = new LocalInvoker();
  }

  /**
   * Compiles and keeps plans; one already loaded under its id is left as it is. All or nothing:
   * a plan that does not compile loads none of them.
   *
   * @return the ids of every plan loaded now
   * @throws io.junction.engine.PipelineConfigException naming the plan, the step and the problem
   * @throws WorkerDrainingException while draining
   */
  public synchronized List<String> load(List<SegmentPlan> segmentPlans) {
    if (host.isDraining()) {
      throw new WorkerDrainingException("load plans");
    }
    Map<String, ModelSignature> models = signatures();
    Map<String, CompiledPipelines> compiled = new LinkedHashMap<>();
    for (SegmentPlan p : segmentPlans) {
      if (!plans.containsKey(p.id()) && !compiled.containsKey(p.id())) {
        try {
          compiled.put(p.id(), CompiledPipelines.compile(List.of(p.spec()), models, invoker, nanoClock, Placement.NONE));
        } catch (io.junction.engine.PipelineConfigException e) {
          throw new io.junction.engine.PipelineConfigException("plan " + p.id() + ": " + e.getMessage());
        }
      }
    }
    plans.putAll(compiled);
    for (SegmentPlan p : segmentPlans) {
      if (compiled.containsKey(p.id())) {
        int rows = rowWise(p);
        if (rows > 1) {
          batchRows.put(p.id(), rows);
        }
      }
    }
    if (!compiled.isEmpty()) {
      log.info("Loaded segment plans {}", compiled.keySet());
    }
    return loaded();
  }

  /**
   * Loaded plans that work row by row, by id, with the most rows one run may carry: a run of such
   * a plan on requests stacked along their first dimension answers each request as a run of its
   * own would. Plans not named here must run one request at a time.
   */
  public Map<String, Integer> batchRows() {
    return Map.copyOf(batchRows);
  }

  /**
   * The most rows a run of {@code plan} may carry when it works row by row, else 0: every step
   * calls a model that batches here (which its model.yaml declares row-independent) and every
   * plan input has a free first dimension. The smallest max_batch_size of its models, so that no
   * step refuses a stacked run as too large.
   */
  private int rowWise(SegmentPlan plan) {
    for (TensorSpec in : plan.spec().inputs()) {
      if (in.shape().isEmpty() || in.shape().get(0) != -1L) {
        return 0;
      }
    }
    int rows = Integer.MAX_VALUE;
    for (StepSpec step : plan.spec().steps()) {
      if (!(step.kind() instanceof StepSpec.ModelCall call)) {
        return 0; // a loop's iterations, a switch's branch or a merge's axis may differ by row
      }
      rows = Math.min(rows, host.batchRows(call.model()));
    }
    return rows == Integer.MAX_VALUE ? 0 : rows;
  }

  public List<String> loaded() {
    return List.copyOf(new TreeSet<>(plans.keySet()));
  }

  /**
   * Runs a loaded plan. Completes as {@link CompiledPipelines#run} does; cancelling the future
   * stops the run and drops its queued model calls.
   *
   * @param maxIterations 0 keeps the plan's own loop limits
   * @param steps         the pipeline run's step limit and its count before this segment
   * @throws UnknownPlanException when no plan has that id here
   */
  public CompletableFuture<PipelineResult> run(String planId, List<Tensor> inputs, List<String> outputs,
      int maxIterations, StepLimit steps, long timeoutNanos, IterationListener listener) {
    CompiledPipelines plan = plans.get(planId);
    if (plan == null) {
      throw new UnknownPlanException(planId, loaded());
    }
    // The whole call fails, as a worker that cannot serve fails it, not one of its steps.
    host.faults().check("segment " + planId);
    RunOptions options = new RunOptions(outputs, maxIterations > 0 ? OptionalInt.of(maxIterations) : OptionalInt.empty())
        .withSteps(steps);
    return plan.run(plan.describe().get(0).name(), inputs, options, timeoutNanos, listener);
  }

  private Map<String, ModelSignature> signatures() {
    Map<String, ModelSignature> out = new LinkedHashMap<>();
    for (String name : host.loadedModels()) {
      ModelConfig c;
      try {
        c = host.config(name, "");
      } catch (RuntimeException e) {
        continue; // unloaded meanwhile
      }
      out.put(name, new ModelSignature(name,
          c.inputs().stream().map(t -> new TensorSpec(t.name(), t.datatype(), t.shape())).toList(),
          c.outputs().stream().map(t -> new TensorSpec(t.name(), t.datatype(), t.shape())).toList()));
    }
    return out;
  }

  /**
   * A segment's model calls, in process. A call's time is enforced where it can be: a call still
   * queued when its time is up, or whose run has ended (its future cancelled), is dropped, not
   * run; a model already running is not interrupted.
   */
  private final class LocalInvoker implements ModelInvoker {
    @Override
    public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeoutNanos) {
      long deadline = nanoClock.getAsLong() + Math.min(timeoutNanos, TimeUnit.DAYS.toNanos(365));
      CompletableFuture<List<Tensor>> result = new CompletableFuture<>();
      CallScope scope = () -> {
        if (result.isDone()) {
          return Optional.of(CallAbandonedException.Reason.CANCELLED);
        }
        return nanoClock.getAsLong() - deadline >= 0
            ? Optional.of(CallAbandonedException.Reason.DEADLINE_EXCEEDED) : Optional.empty();
      };
      try {
        host.infer(new InferRequest(model, "", inputs, outputs), scope).whenComplete((r, e) -> {
          if (e != null) {
            result.completeExceptionally(e);
          } else {
            result.complete(r.outputs());
          }
        });
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
      return result;
    }

    /** Nothing is retried inside one worker: the orchestrator may retry the segment elsewhere. */
    @Override
    public Failure classify(Throwable error) {
      return error instanceof CallAbandonedException a && a.reason() == CallAbandonedException.Reason.DEADLINE_EXCEEDED
          ? Failure.TIMED_OUT : Failure.FINAL;
    }
  }
}
