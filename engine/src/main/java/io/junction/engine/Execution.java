package io.junction.engine;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.junction.engine.Plan.Node;
import io.junction.engine.Plan.Slot;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The state of one run of a plan. One transition function ({@link #advanceLocked}) decides,
 * under one lock, which steps became ready or skipped and whether the run is over; the calls
 * it decides on are dispatched after the lock is released. Model calls are asynchronous
 * (pool futures complete on gRPC event loops), so nothing here blocks or joins.
 *
 * <p>The first failure ends the run once; later outcomes find the run finished and are
 * dropped. A run with nothing in flight and outputs missing ends with an error, not a hang.
 *
 * <p>For streaming, each requested output is told to the listener once, as soon as the step
 * producing it is done: after the lock is released and before the steps it made ready start.
 */
final class Execution {
  private enum State { PRUNED, WAITING, RUNNING, DONE, SKIPPED }

  final Plan plan;
  final ModelInvoker invoker;
  final Placement placement;
  final LongSupplier ticker;
  final IterationListener listener;
  final int iterationCap;
  final StepLimit stepLimit;
  /** Steps executed, counting those of the pipeline run before this one ({@link StepLimit#executedBefore()}). */
  private final AtomicInteger executed;
  /** The run's {@link RunOptions#affinityKey()}, handed to every model call and segment; null for none. */
  final String affinityKey;
  /** When the request's time is up, on {@link #ticker}; Long.MAX_VALUE for no deadline. */
  private final long deadlineAt;
  private final int[] wanted;
  private final Tensor[] inputs;
  final CompletableFuture<PipelineResult> result = new CompletableFuture<>();

  private final Object lock = new Object();
  @GuardedBy("lock") private final State[] states;
  @GuardedBy("lock") private final Tensor[][] values;
  @GuardedBy("lock") private final boolean[] released;
  /** Per pipeline output: the listener was told of it ({@link IterationListener#onOutput}). */
  @GuardedBy("lock") private final boolean[] told;
  @GuardedBy("lock") private final long[] startNanos;
  @GuardedBy("lock") private final long[] micros;
  @GuardedBy("lock") private final int[] attempts;
  /** What each segment's worker reported of its steps, and where it ran. */
  @GuardedBy("lock") private final ModelInvoker.SegmentAnswer[] segmentAnswers;
  @GuardedBy("lock") private int running;
  /** Written under the lock; read without it by calls deciding whether to go on. */
  private volatile boolean finished;
  /** The current call of each running model or loop step, to cancel when the run ends early. */
  private final AtomicReferenceArray<CompletableFuture<?>> inFlight;

  Execution(Plan plan, ModelInvoker invoker, Placement placement, LongSupplier ticker, long deadlineAt,
      Tensor[] inputs, int[] wanted, int iterationCap, StepLimit stepLimit, IterationListener listener,
      String affinityKey) {
    this.plan = plan;
    this.invoker = invoker;
    this.placement = placement;
    this.ticker = ticker;
    this.deadlineAt = deadlineAt;
    this.inputs = inputs;
    this.wanted = wanted;
    this.iterationCap = iterationCap;
    this.stepLimit = stepLimit;
    this.executed = new AtomicInteger(stepLimit.executedBefore());
    this.listener = listener;
    this.affinityKey = affinityKey;
    int n = plan.nodes().size();
    states = new State[n];
    values = new Tensor[n][];
    released = new boolean[n];
    told = new boolean[plan.outputs().size()];
    startNanos = new long[n];
    micros = new long[n];
    attempts = new int[n];
    segmentAnswers = new ModelInvoker.SegmentAnswer[n];
    inFlight = new AtomicReferenceArray<>(n);
    Arrays.fill(states, State.PRUNED);
    markNeeded();
  }

  /** Only steps that some requested output needs run: walk back from the outputs. */
  private void markNeeded() {
    List<Integer> work = new ArrayList<>();
    for (int o : wanted) {
      Slot from = plan.outputs().get(o).from();
      if (!from.isInput()) {
        work.add(from.node());
      }
    }
    while (!work.isEmpty()) {
      int i = work.remove(work.size() - 1);
      if (states[i] == State.WAITING) {
        continue;
      }
      states[i] = State.WAITING;
      Node node = plan.nodes().get(i);
      for (int d : node.dataDeps()) {
        work.add(d);
      }
      if (node.controller() >= 0) {
        work.add(node.controller());
      }
    }
  }

  void start() {
    // The caller may end the run first (cancel, orTimeout, completeExceptionally): stop it then,
    // so that nothing more is dispatched and calls in flight give back their slots.
    result.whenComplete((r, e) -> {
      synchronized (lock) {
        if (finished) {
          return; // ended by the run itself, which has cancelled what it had to
        }
        finished = true;
      }
      cancelInFlight();
    });
    List<Told> outputs;
    Transition t;
    synchronized (lock) {
      outputs = claimLocked(Slot.INPUT, -1, null);
      t = advanceLocked();
    }
    if (tell(null, outputs)) {
      t.run();
    }
  }

  boolean isFinished() {
    return finished;
  }

  long requestNanosLeft() {
    return deadlineAt == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineAt - ticker.getAsLong();
  }

  /**
   * Counts {@code steps} more executed by {@code node}. Past the run's {@link StepLimit} the run
   * fails there, naming the limit, and this answers false: the caller starts nothing more.
   */
  boolean countSteps(Node node, int steps) {
    int total = executed.addAndGet(steps);
    if (total > stepLimit.max()) {
      fail(node, stepLimit.exceeded(total));
      return false;
    }
    return true;
  }

  /** Steps executed so far, those before this run included. */
  int stepsExecuted() {
    return executed.get();
  }

  void track(Node node, CompletableFuture<?> call) {
    inFlight.set(node.index(), call);
    if (finished) {
      call.cancel(false);
    }
  }

  // ---- outcomes, from any thread ----

  void succeed(Node node, Tensor[] outputs, int attemptCount) {
    succeed(node, outputs, attemptCount, null);
  }

  void succeed(Node node, Tensor[] outputs, int attemptCount, ModelInvoker.SegmentAnswer segment) {
    List<Told> told;
    Transition t;
    synchronized (lock) {
      if (finished) {
        return;
      }
      int i = node.index();
      segmentAnswers[i] = segment;
      states[i] = State.DONE;
      values[i] = outputs;
      attempts[i] = attemptCount;
      micros[i] = (ticker.getAsLong() - startNanos[i]) / 1000;
      running--;
      inFlight.set(i, null);
      if (node.op() instanceof Plan.Branch branch) {
        String value = TensorOps.firstAsText(value(branch.on()));
        int[] chosen = branch.cases().getOrDefault(value, branch.defaults());
        for (int c : chosen) {
          released[c] = true;
        }
      }
      told = claimLocked(i, -1, null);
      t = advanceLocked();
    }
    // Outputs before the steps they made ready: a loop that reads one iterates after it is told.
    if (tell(node, told)) {
      t.run();
    }
  }

  /**
   * An output of a fused segment that its worker reported before the segment ended: the
   * requested pipeline outputs that read it are told now (and not again when the segment ends).
   * A name the segment does not have is ignored: its final answer is checked in full anyway.
   */
  void segmentOutput(Node node, String name, Tensor value) {
    int slot = node.outputs().indexOf(name);
    if (slot < 0) {
      return;
    }
    List<Told> told;
    synchronized (lock) {
      if (finished) {
        return;
      }
      told = claimLocked(node.index(), slot, value);
    }
    tell(node, told);
  }

  void fail(Node node, Throwable cause) {
    synchronized (lock) {
      if (finished) {
        return;
      }
      finished = true;
    }
    end(node, cause);
  }

  /** Ends a run already marked finished with {@code cause}. */
  private void end(Node node, Throwable cause) {
    cancelInFlight();
    // Input errors and a segment's own failures already name what failed; others get the step named.
    result.completeExceptionally(node == null || cause instanceof PipelineInputException
        || cause instanceof SegmentFailedException ? cause : new StepFailedException(plan.name(), node.name(), cause));
  }

  // ---- outputs told early ----

  /** A requested output to tell the listener of, gathered under the lock. */
  private record Told(String output, Tensor value) {}

  /**
   * The requested outputs read from {@code node} (its output {@code slot}, or any when -1) that
   * the listener was not told of yet, marked as told. {@code early} is the value of that slot
   * when the node has not finished (a segment's output reported early), else null.
   */
  @GuardedBy("lock")
  private List<Told> claimLocked(int node, int slot, Tensor early) {
    if (listener == IterationListener.NONE) {
      return List.of();
    }
    List<Told> out = List.of();
    for (int o : wanted) {
      Plan.Output output = plan.outputs().get(o);
      Slot from = output.from();
      if (!told[o] && from.node() == node && (slot < 0 || from.index() == slot)) {
        told[o] = true;
        if (out.isEmpty()) {
          out = new ArrayList<>();
        }
        out.add(new Told(output.name(), (early != null ? early : value(from)).withName(output.name())));
      }
    }
    return out;
  }

  /**
   * Tells the listener, outside the lock. False when it threw: that ends the run with its error
   * (the step named), whatever the run had decided meanwhile, and nothing more is dispatched.
   */
  private boolean tell(Node node, List<Told> outputs) {
    try {
      for (Told t : outputs) {
        listener.onOutput(t.output(), t.value());
      }
      return true;
    } catch (RuntimeException e) {
      synchronized (lock) {
        finished = true;
      }
      end(node, e);
      return false;
    }
  }

  private void cancelInFlight() {
    for (int i = 0; i < inFlight.length(); i++) {
      CompletableFuture<?> f = inFlight.getAndSet(i, null);
      if (f != null) {
        f.cancel(false);
      }
    }
  }

  // ---- the transition function ----

  /** What to do once the lock is released: start steps, or complete the run. */
  private record Transition(Execution ex, List<Dispatch> ready, Runnable completion) {
    void run() {
      if (completion != null) {
        completion.run();
        return;
      }
      for (Dispatch d : ready) {
        ex.dispatch(d);
      }
    }
  }

  /** A step to start and the values it reads, gathered under the lock. */
  private record Dispatch(Node node, List<Tensor> inputs) {}

  @GuardedBy("lock")
  private Transition advanceLocked() {
    List<Dispatch> ready = new ArrayList<>();
    // Topological order: a skip or a release decided early in the pass is seen later in it.
    for (Node node : plan.nodes()) {
      int i = node.index();
      if (states[i] != State.WAITING) {
        continue;
      }
      State decision = decide(node);
      if (decision == State.SKIPPED) {
        states[i] = State.SKIPPED;
      } else if (decision == State.RUNNING) {
        states[i] = State.RUNNING;
        running++;
        startNanos[i] = ticker.getAsLong();
        ready.add(new Dispatch(node, gather(node)));
      }
    }
    List<String> missing = new ArrayList<>();
    List<String> lost = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (int o : wanted) {
      Plan.Output out = plan.outputs().get(o);
      if (!out.from().isInput() && states[out.from().node()] != State.DONE) {
        missing.add(out.name());
        if (states[out.from().node()] == State.SKIPPED) {
          lost.add(out.name());
          skipped.add(plan.nodes().get(out.from().node()).name());
        }
      }
    }
    if (missing.isEmpty()) {
      finished = true;
      PipelineResult r = resultLocked();
      return new Transition(this, List.of(), () -> {
        cancelInFlight();
        result.complete(r);
      });
    }
    if (!skipped.isEmpty() || running == 0) {
      finished = true;
      String why = skipped.isEmpty()
          ? "nothing is in flight and no step can start"
          : "step(s) " + String.join(", ", new java.util.LinkedHashSet<>(skipped)) + " were skipped by a switch";
      // A skipped producer settles it early, even with other steps in flight: name what is lost.
      PipelineStalledException e = new PipelineStalledException("pipeline " + plan.name() + ": outputs "
          + String.join(", ", skipped.isEmpty() ? missing : lost) + ": not produced, " + why
          + " (expected: requested outputs to come from steps that run; merge branches with first_of)");
      return new Transition(this, List.of(), () -> {
        cancelInFlight();
        result.completeExceptionally(e);
      });
    }
    return new Transition(this, ready, null);
  }

  /** RUNNING to start now, SKIPPED, or WAITING for something still in flight. */
  @GuardedBy("lock")
  private State decide(Node node) {
    if (node.controller() >= 0) {
      State c = states[node.controller()];
      if (c == State.SKIPPED || (c == State.DONE && !released[node.index()])) {
        return State.SKIPPED;
      }
      if (c != State.DONE) {
        return State.WAITING;
      }
    }
    boolean firstOf = node.op() instanceof Plan.FirstOf;
    boolean anyDone = node.dataDeps().length == 0;
    for (int d : node.dataDeps()) {
      State s = states[d];
      if (s == State.SKIPPED && !firstOf) {
        return State.SKIPPED;
      }
      if (s == State.WAITING || s == State.RUNNING) {
        return State.WAITING;
      }
      anyDone |= s == State.DONE;
    }
    return anyDone ? State.RUNNING : State.SKIPPED;
  }

  @GuardedBy("lock")
  private List<Tensor> gather(Node node) {
    Plan.Op op = node.op();
    if (op instanceof Plan.Call c) {
      List<Plan.Feed> feeds = c.fallback() == null ? c.feeds() : ModelStep.allFeeds(c);
      return feeds.stream().map(f -> value(f.from()).withName(f.input())).toList();
    } else if (op instanceof Plan.Repeat r) {
      return r.fixed().stream().map(f -> value(f.from()).withName(f.input())).toList();
    } else if (op instanceof Plan.Segment seg) {
      return seg.feeds().stream().map(f -> value(f.from()).withName(f.input())).toList();
    } else if (op instanceof Plan.Branch b) {
      return List.of(value(b.on()));
    } else if (op instanceof Plan.Concat c) {
      return c.from().stream().map(this::value).toList();
    } else {
      return ((Plan.FirstOf) op).from().stream()
          .filter(s -> s.isInput() || states[s.node()] == State.DONE)
          .limit(1).map(this::value).toList();
    }
  }

  @GuardedBy("lock")
  private Tensor value(Slot s) {
    return s.isInput() ? inputs[s.index()] : values[s.node()][s.index()];
  }

  @GuardedBy("lock")
  private PipelineResult resultLocked() {
    List<Tensor> outs = new ArrayList<>(wanted.length);
    for (int o : wanted) {
      Plan.Output out = plan.outputs().get(o);
      outs.add(value(out.from()).withName(out.name()));
    }
    List<PipelineResult.StepTiming> timings = new ArrayList<>();
    for (Node node : plan.nodes()) {
      int i = node.index();
      if (states[i] != State.DONE) {
        continue;
      }
      if (node.op() instanceof Plan.Segment seg) {
        // The segment's steps, as its worker timed them, in the order they ran there.
        ModelInvoker.SegmentAnswer answer = segmentAnswers[i];
        for (PipelineResult.StepTiming st : answer.steps()) {
          timings.add(new PipelineResult.StepTiming(st.step(), st.micros(), st.attempts(), seg.planId(), answer.ranOn()));
        }
      } else {
        timings.add(new PipelineResult.StepTiming(node.name(), micros[i], attempts[i], "", ranOn(node)));
      }
    }
    return new PipelineResult(plan.name(), outs, timings, executed.get() - stepLimit.executedBefore());
  }

  private String ranOn(Node node) {
    if (node.op() instanceof Plan.Call c) {
      return placement.group(c.model());
    }
    if (node.op() instanceof Plan.Repeat r) {
      return placement.group(r.model());
    }
    return PipelineResult.StepTiming.ORCHESTRATOR;
  }

  // ---- dispatch, outside the lock ----

  private void dispatch(Dispatch d) {
    Node node = d.node();
    try {
      Plan.Op op = node.op();
      // a loop counts its iterations (LoopRun), a segment what its worker executed (SegmentRun)
      if (!(op instanceof Plan.Repeat || op instanceof Plan.Segment) && !countSteps(node, 1)) {
        return;
      }
      if (op instanceof Plan.Call c) {
        new ModelStep(this, node, c, d.inputs()).start();
      } else if (op instanceof Plan.Repeat r) {
        new LoopRun(this, node, r, d.inputs()).start();
      } else if (op instanceof Plan.Segment seg) {
        new SegmentRun(this, node, seg, d.inputs()).start();
      } else if (op instanceof Plan.Branch) {
        Tensor on = d.inputs().get(0);
        if (on.elementCount() != 1) {
          throw new PipelineInputException("pipeline " + plan.name() + ", step " + node.name() + ": switch value "
              + on.name() + ": " + on.elementCount() + " elements, shape " + Tensor.shapeString(on.shape())
              + " (expected: exactly one, a switch routes a batch of 1)");
        }
        succeed(node, new Tensor[0], 1);
      } else if (op instanceof Plan.Concat c) {
        Tensor first = d.inputs().get(0);
        succeed(node, new Tensor[] {
            TensorOps.concat(node.outputs().get(0), first.datatype(), d.inputs(), c.axis(), new long[0])}, 1);
      } else {
        succeed(node, new Tensor[] {d.inputs().get(0).withName(node.outputs().get(0))}, 1);
      }
    } catch (RuntimeException e) {
      fail(node, e);
    }
  }

  /**
   * Places the asked outputs of a model's answer at their slots. A worker that answers
   * without an asked output, or with another datatype, breaks its own signature: an internal
   * error, reported with the model named.
   */
  static Tensor[] pick(String model, List<Tensor> answer, List<String> slots, List<String> asked, List<TensorSpec> specs) {
    Map<String, Tensor> byName = new HashMap<>();
    for (Tensor t : answer) {
      byName.put(t.name(), t);
    }
    Tensor[] out = new Tensor[slots.size()];
    for (String name : asked) {
      Tensor t = byName.get(name);
      if (t == null) {
        throw new IllegalStateException("model " + model + " answered without output " + name
            + " (got: " + byName.keySet() + ")");
      }
      // Null where the plan knows no spec (a loop's feedback or stop output that it does not collect).
      TensorSpec spec = specs.get(asked.indexOf(name));
      if (spec != null && (t.datatype() != spec.datatype() || t.rank() != spec.shape().size())) {
        throw new IllegalStateException("model " + model + " answered output " + name + " as " + t.datatype() + " "
            + Tensor.shapeString(t.shape()) + " (expected: " + PipelineCompiler.describe(spec) + ", its signature)");
      }
      out[slots.indexOf(name)] = t;
    }
    return out;
  }

  static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
