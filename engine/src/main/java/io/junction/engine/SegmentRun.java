package io.junction.engine;

import io.junction.engine.Plan.Node;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One run of a fused segment: one call to a worker that runs the segment's steps with this same
 * engine. Its iterations, and its outputs that the worker reports before it ends, are handed on to
 * the run's listener as they stream in (an output as the pipeline outputs that read it); once one
 * has been, the segment is not attempted again (that would stream it twice). Its steps' own timeouts
 * and retries hold inside the worker; here its time is what is left of the request's deadline. It
 * carries the run's {@link StepLimit} and the steps executed so far, and its steps count when it
 * answers.
 */
final class SegmentRun {
  private final Execution ex;
  private final Node node;
  private final Plan.Segment op;
  private final List<Tensor> inputs;
  private final AtomicBoolean streamed = new AtomicBoolean();
  private final AtomicReference<ModelInvoker.SegmentAnswer> answer = new AtomicReference<>();

  SegmentRun(Execution ex, Node node, Plan.Segment op, List<Tensor> inputs) {
    this.ex = ex;
    this.node = node;
    this.op = op;
    this.inputs = inputs;
  }

  void start() {
    // A run nobody streams asks the worker for no iterations and no early outputs (NONE): none
    // cross the wire, and since none was handed on, a failed attempt may be retried.
    IterationListener relay = ex.listener == IterationListener.NONE ? IterationListener.NONE : new IterationListener() {
      @Override
      public void onIteration(String step, int iteration, List<Tensor> values) {
        streamed.set(true);
        ex.listener.onIteration(step, iteration, values);
      }

      /** A segment output (a {@code <step>.<output>} of the plan): told as the pipeline outputs that read it. */
      @Override
      public void onOutput(String output, Tensor value) {
        streamed.set(true);
        ex.segmentOutput(node, output, value);
      }
    };
    new StepCall(ex, node,
        (budget, retry) -> {
          CompletableFuture<ModelInvoker.SegmentAnswer> call =
              ex.invoker.runSegment(op.group(), op.planId(), inputs, node.outputs(), ex.iterationCap,
                  new StepLimit(ex.stepLimit.max(), Math.min(ex.stepsExecuted(), ex.stepLimit.max())), budget, relay,
                  ex.affinityKey, retry);
          CompletableFuture<List<Tensor>> outputs = call.thenApply(a -> {
            answer.set(a);
            return a.outputs();
          });
          // The run cancels what it tracks, this dependent stage, which would not reach the call by
          // itself: pass it on, so that the worker stops the segment (its loop within one iteration).
          outputs.whenComplete((v, e) -> {
            if (outputs.isCancelled()) {
              call.cancel(false);
            }
          });
          return outputs;
        },
        () -> !streamed.get(), node::timeoutNanos, false, "the request's deadline",
        (outputs, error, attempts) -> {
          Tensor[] picked;
          try {
            if (error != null) {
              throw error;
            }
            picked = pick(outputs);
          } catch (Throwable e) {
            ex.fail(node, e);
            return;
          }
          // the worker kept to what was left when the segment started; other steps may have run since
          if (ex.countSteps(node, answer.get().stepsExecuted())) {
            ex.succeed(node, picked, attempts, answer.get());
          }
        }).start();
  }

  /** The segment's outputs in the node's order; a worker that leaves one out breaks the plan. */
  private Tensor[] pick(List<Tensor> outputs) {
    List<String> names = node.outputs();
    Tensor[] out = new Tensor[names.size()];
    List<String> got = new ArrayList<>();
    for (Tensor t : outputs) {
      int i = names.indexOf(t.name());
      if (i >= 0) {
        out[i] = t;
      }
      got.add(t.name());
    }
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null) {
        throw new IllegalStateException("segment " + op.planId() + " answered without output " + names.get(i)
            + " (got: " + got + ")");
      }
    }
    return out;
  }
}
