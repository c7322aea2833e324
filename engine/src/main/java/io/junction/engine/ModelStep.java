package io.junction.engine;

import io.junction.engine.Plan.Node;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A model step of a run: its call with its attempts ({@link StepCall}), then, when those are
 * spent on failures that say its model could not serve (retryable, timed out, retries refused)
 * and the request still has time, its fallback model's call with attempts of its own. The
 * caller's mistakes (a failure the invoker calls final) never reach the fallback: it would
 * fail the same way. Reports once to the run: success with the outputs the run reads from the
 * step, or the failure (the fallback's, when it ran, with the step's own one suppressed in it).
 */
final class ModelStep {
  private final Execution ex;
  private final Node node;
  private final Plan.Call call;
  private final List<Tensor> inputs;

  /** @param inputs the call's feeds, then its fallback's ({@link #allFeeds}) when it has one */
  ModelStep(Execution ex, Node node, Plan.Call call, List<Tensor> inputs) {
    this.ex = ex;
    this.node = node;
    this.call = call;
    this.inputs = inputs;
  }

  /** What a run gathers for a call with a fallback: the call's feeds, then the fallback's. */
  static List<Plan.Feed> allFeeds(Plan.Call c) {
    List<Plan.Feed> all = new ArrayList<>(c.feeds());
    all.addAll(c.fallback().feeds());
    return all;
  }

  void start() {
    attempt(call.model(), inputs.subList(0, call.feeds().size()), 0, null);
  }

  private void attempt(String model, List<Tensor> in, int attemptsBefore, Throwable primaryFailure) {
    new StepCall(ex, node, model, in, call.asked(),
        node::timeoutNanos, true, "timeout_ms: " + Execution.millis(node.timeoutNanos()) + " per attempt",
        (outs, error, count) -> {
          // Runs in a pool future's callback, where an exception would vanish: catch it here.
          Tensor[] picked;
          try {
            if (error != null) {
              if (primaryFailure == null && fallsBack(error)) {
                attempt(call.fallback().model(), inputs.subList(call.feeds().size(), inputs.size()), count, error);
                return;
              }
              if (primaryFailure != null && primaryFailure != error) {
                error.addSuppressed(primaryFailure);
              }
              throw error;
            }
            picked = Execution.pick(model, outs, node.outputs(), call.asked(), call.askedSpecs());
          } catch (Throwable e) {
            ex.fail(node, e);
            return;
          }
          ex.succeed(node, picked, attemptsBefore + count);
        }).start();
  }

  /** Whether the step's failure calls for its fallback: its model could not serve, and time is left. */
  private boolean fallsBack(Throwable error) {
    if (call.fallback() == null || ex.isFinished() || ex.requestNanosLeft() <= 0) {
      return false;
    }
    if (error instanceof StepTimeoutException) {
      return true; // the step's own timeout (or no time for another attempt), said by StepCall
    }
    return ex.invoker.classify(error) != ModelInvoker.Failure.FINAL;
  }
}
