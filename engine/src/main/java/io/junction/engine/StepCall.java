package io.junction.engine;

import io.junction.engine.Plan.Node;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One model call of a step with its attempts. Each attempt's time is the smaller of the
 * step's own budget and what is left of the request's deadline, and the invoker's transport
 * enforces it (no timer task per step). Another attempt follows only after a retryable failure
 * (or the step's own timeout, where allowed), while attempts remain and the request's deadline
 * has time left. Reports once to {@link Done}, unless the run finished meanwhile (then nobody
 * is waiting).
 */
final class StepCall {

  interface Done {
    /** Exactly one of outputs and error is non-null; attempts counts the calls made. */
    void done(List<Tensor> outputs, Throwable error, int attempts);
  }

  /** One attempt's call, given the time it may take and, for a retry, how the earlier attempts failed. */
  interface Caller {
    CompletableFuture<List<Tensor>> call(long budgetNanos, Retry retry);
  }

  private final Execution ex;
  private final Node node;
  private final Caller caller;
  /** False once another attempt would repeat what was already delivered (a streamed iteration). */
  private final BooleanSupplier repeatable;
  private final LongSupplier ownBudgetNanos;
  private final boolean retryOwnTimeout;
  private final String budgetText;
  private final Done done;
  /** Attempts are sequential: each is started by the end of the previous one. */
  private volatile int attempt;
  /** How the attempts so far failed, for the next one's {@link Retry}; written before it starts. */
  private volatile List<Throwable> failures = List.of();

  /** A model call of a step. */
  StepCall(Execution ex, Node node, String model, List<Tensor> inputs, List<String> asked,
      LongSupplier ownBudgetNanos, boolean retryOwnTimeout, String budgetText, Done done) {
    this(ex, node, (budget, retry) -> ex.invoker.infer(model, inputs, asked, budget, ex.affinityKey, retry), () -> true,
        ownBudgetNanos, retryOwnTimeout, budgetText, done);
  }

  StepCall(Execution ex, Node node, Caller caller, BooleanSupplier repeatable,
      LongSupplier ownBudgetNanos, boolean retryOwnTimeout, String budgetText, Done done) {
    this.ex = ex;
    this.node = node;
    this.caller = caller;
    this.repeatable = repeatable;
    this.ownBudgetNanos = ownBudgetNanos;
    this.retryOwnTimeout = retryOwnTimeout;
    this.budgetText = budgetText;
    this.done = done;
  }

  void start() {
    next();
  }

  private void next() {
    if (ex.isFinished()) {
      return;
    }
    int n = ++attempt;
    long requestLeft = ex.requestNanosLeft();
    long own = ownBudgetNanos.getAsLong();
    if (requestLeft <= 0) {
      done.done(null, new StepTimeoutException("request deadline exceeded before attempt " + n + " of "
          + node.maxAttempts() + " could start"), n - 1);
      return;
    }
    if (own <= 0) {
      done.done(null, new StepTimeoutException("timed out (" + budgetText + ") before attempt " + n + " of "
          + node.maxAttempts() + " could start"), n - 1);
      return;
    }
    Attempt a = new Attempt(n, own < requestLeft, Math.min(own, requestLeft));
    CompletableFuture<List<Tensor>> call;
    try {
      call = caller.call(a.budgetNanos, n == 1 ? null : new Retry(n, failures));
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    // Tracked before its completion is listened to: the next attempt starts only from that
    // completion, so attempts are tracked in order and the run always holds the current call,
    // which it cancels if it has ended meanwhile (track checks). A cancel between one attempt's
    // failure and the next start is seen by mayRetry or by next(), and no attempt starts.
    ex.track(node, call);
    call.whenComplete(a::onComplete);
  }

  private final class Attempt {
    final int number;
    /** The step's own budget is the limit (not the request's deadline): a timeout may be retried. */
    final boolean ownLimits;
    final long budgetNanos;

    Attempt(int number, boolean ownLimits, long budgetNanos) {
      this.number = number;
      this.ownLimits = ownLimits;
      this.budgetNanos = budgetNanos;
    }

    void onComplete(List<Tensor> outputs, Throwable error) {
      if (error == null) {
        done.done(outputs, null, number);
      } else {
        failed(this, unwrap(error));
      }
    }
  }

  private void failed(Attempt a, Throwable error) {
    List<Throwable> earlier = new ArrayList<>(failures);
    earlier.add(error);
    failures = earlier;
    switch (ex.invoker.classify(error)) {
      case TIMED_OUT -> timedOut(a);
      case RETRYABLE -> {
        if (mayRetry(a)) {
          next();
        } else {
          done.done(null, error, a.number);
        }
      }
      // RETRIES_SPENT: retryable, but refused here (a retry budget): no more attempts
      default -> done.done(null, error, a.number);
    }
  }

  private void timedOut(Attempt a) {
    if (a.ownLimits && retryOwnTimeout && mayRetry(a)) {
      next();
      return;
    }
    String what = a.ownLimits
        ? "timed out after " + Execution.millis(a.budgetNanos) + " ms (" + budgetText + ")"
        : "request deadline exceeded after " + Execution.millis(a.budgetNanos) + " ms in this step"
            + " (the step had that much left of the request's deadline)";
    done.done(null, new StepTimeoutException(what + ", attempt " + a.number + " of " + node.maxAttempts()), a.number);
  }

  private boolean mayRetry(Attempt a) {
    return a.number < node.maxAttempts() && ex.requestNanosLeft() > 0 && !ex.isFinished() && repeatable.getAsBoolean();
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
