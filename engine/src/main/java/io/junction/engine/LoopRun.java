package io.junction.engine;

import io.junction.engine.Plan.Node;
import io.junction.engine.Plan.Repeat;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run of a loop step: one sequence (batch 1), one model call at a time. Each iteration
 * feeds the fixed inputs plus the last {@code window} values of the feedback output; the
 * deadline and cancellation are checked before every call (by {@link StepCall}); the loop ends
 * on its stop value or its iteration limit and hands the collected values to the execution.
 *
 * <p>Iterations are driven by a drain loop: a call that completes at once (a failed future,
 * a fake pool) does not recurse, so a long loop cannot overflow the stack.
 */
final class LoopRun {
  private final Execution ex;
  private final Node node;
  private final Repeat op;
  private final List<Tensor> fixed;
  private final int maxIterations;
  private final long[] history;
  private final List<List<Tensor>> collected = new ArrayList<>();
  private final AtomicInteger wip = new AtomicInteger();
  private long endNanos;
  private int iterations;
  private int calls;
  /** Set by the drain loop and by the error callback (which may run on another thread). */
  private volatile boolean over;
  /** The answer of the call in flight, handed from its callback to the drain loop. */
  private volatile Answer pending;

  private record Answer(List<Tensor> outputs, int attempts) {}

  LoopRun(Execution ex, Node node, Repeat op, List<Tensor> fixed) {
    this.ex = ex;
    this.node = node;
    this.op = op;
    this.fixed = fixed;
    this.maxIterations = Math.min(op.maxIterations(), ex.iterationCap);
    this.history = new long[op.window()];
    Arrays.fill(history, op.start());
    for (int i = 0; i < op.collect().size(); i++) {
      collected.add(new ArrayList<>());
    }
  }

  void start() {
    for (Tensor t : fixed) {
      if (t.rank() == 0 || t.dim(0) != 1) {
        ex.fail(node, new PipelineInputException("pipeline " + ex.plan.name() + ", step " + node.name()
            + ": loop input " + t.name() + ": batch of " + (t.rank() == 0 ? "a scalar" : t.dim(0))
            + " (expected: 1, a loop runs one sequence)"));
        return;
      }
    }
    endNanos = ex.ticker.getAsLong() + node.timeoutNanos();
    drain();
  }

  private void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    do {
      try {
        step();
      } catch (RuntimeException e) {
        over = true;
        ex.fail(node, e);
      }
    } while (wip.decrementAndGet() != 0);
  }

  private void step() {
    if (over) {
      return;
    }
    Answer answer = pending;
    if (answer != null) {
      pending = null;
      calls += answer.attempts();
      if (!absorb(answer.outputs())) {
        finish();
        return;
      }
    }
    if (iterations >= maxIterations) {
      finish();
      return;
    }
    if (!ex.countSteps(node, 1)) {
      over = true;
      return;
    }
    List<Tensor> in = new ArrayList<>(fixed);
    in.add(TensorOps.window(op.feedbackInput(), op.feedbackType(), history.clone()));
    if (op.iteration() != null) {
      in.add(TensorOps.counter(op.iteration(), iterations));
    }
    new StepCall(ex, node, op.model(), in, op.asked(), () -> endNanos - ex.ticker.getAsLong(), false,
        "timeout_ms: " + Execution.millis(node.timeoutNanos()) + " for the whole loop",
        (outputs, error, attempts) -> {
          if (error != null) {
            over = true;
            ex.fail(node, error);
          } else {
            pending = new Answer(outputs, attempts);
            drain();
          }
        }).start();
  }

  /** Takes one iteration's answer; false when it is the stop value (not collected). */
  private boolean absorb(List<Tensor> outputs) {
    List<TensorSpec> specs = new ArrayList<>(op.collectSpecs());
    List<String> asked = op.asked();
    Tensor[] byAsked = Execution.pick(op.model(), outputs, asked, asked, specsOf(asked, specs));
    if (op.untilOutput() != null
        && TensorOps.firstAsText(byAsked[asked.indexOf(op.untilOutput())]).equals(op.untilEquals())) {
      return false;
    }
    List<Tensor> values = new ArrayList<>(op.collect().size());
    for (int i = 0; i < op.collect().size(); i++) {
      Tensor t = byAsked[asked.indexOf(op.collect().get(i))];
      values.add(t);
      collected.get(i).add(t);
    }
    System.arraycopy(history, 1, history, 0, history.length - 1);
    history[history.length - 1] = byAsked[asked.indexOf(op.feedbackOutput())].integerValues()[0];
    int iteration = iterations++;
    ex.listener.onIteration(node.name(), iteration, List.copyOf(values));
    return true;
  }

  /** Checks the answer's datatypes only where the plan knows them (the collected outputs). */
  private List<TensorSpec> specsOf(List<String> asked, List<TensorSpec> collectSpecs) {
    List<TensorSpec> out = new ArrayList<>(asked.size());
    for (String name : asked) {
      int c = op.collect().indexOf(name);
      out.add(c >= 0 ? collectSpecs.get(c) : null);
    }
    return out;
  }

  private void finish() {
    over = true;
    Tensor[] outs = new Tensor[op.collect().size()];
    for (int i = 0; i < outs.length; i++) {
      TensorSpec spec = op.collectSpecs().get(i);
      long[] empty = new long[spec.shape().size()];
      for (int d = 1; d < empty.length; d++) {
        empty[d] = Math.max(0, spec.shape().get(d));
      }
      outs[i] = TensorOps.concat(op.collect().get(i), spec.datatype(), collected.get(i), 0, empty);
    }
    ex.succeed(node, outs, calls);
  }
}
