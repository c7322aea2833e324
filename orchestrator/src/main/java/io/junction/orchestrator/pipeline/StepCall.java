package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.grpc.Status;
import io.junction.orchestrator.pipeline.Plan.Node;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One model call of a step with its attempts. Each attempt's time is the smaller of the
 * step's own budget and what is left of the request's deadline; an attempt ends by the pool's
 * answer or by a timer, whichever comes first, exactly once. Another attempt follows only
 * after UNAVAILABLE (or the step's own timeout, where allowed), while attempts remain and the
 * request's deadline has time left. Reports once to {@link Done}, unless the run finished
 * meanwhile (then nobody is waiting).
 */
final class StepCall {

  interface Done {
    /** Exactly one of outputs and error is non-null; attempts counts the calls made. */
    void done(List<Tensor> outputs, Throwable error, int attempts);
  }

  private final Execution ex;
  private final Node node;
  private final String model;
  private final List<Tensor> inputs;
  private final List<String> asked;
  private final LongSupplier ownBudgetNanos;
  private final boolean retryOwnTimeout;
  private final String budgetText;
  private final Done done;
  /** Attempts are sequential: each is started by the end of the previous one. */
  private volatile int attempt;

  StepCall(Execution ex, Node node, String model, List<Tensor> inputs, List<String> asked,
      LongSupplier ownBudgetNanos, boolean retryOwnTimeout, String budgetText, Done done) {
    this.ex = ex;
    this.node = node;
    this.model = model;
    this.inputs = inputs;
    this.asked = asked;
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
    a.cancelTimer = ex.timer.schedule(a::onTimeout, a.budgetNanos);
    CompletableFuture<List<Tensor>> call;
    try {
      call = ex.pools.infer(model, inputs, asked, Deadline.after(a.budgetNanos, TimeUnit.NANOSECONDS, ex.ticker));
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    a.call = call;
    ex.track(node, call);
    if (a.settled.get()) {
      call.cancel(false);
    }
    call.whenComplete(a::onComplete);
  }

  private final class Attempt {
    final int number;
    /** The step's own budget is the limit (not the request's deadline): a timeout may be retried. */
    final boolean ownLimits;
    final long budgetNanos;
    final AtomicBoolean settled = new AtomicBoolean();
    volatile Runnable cancelTimer;
    volatile CompletableFuture<List<Tensor>> call;

    Attempt(int number, boolean ownLimits, long budgetNanos) {
      this.number = number;
      this.ownLimits = ownLimits;
      this.budgetNanos = budgetNanos;
    }

    void onTimeout() {
      if (!settled.compareAndSet(false, true)) {
        return;
      }
      CompletableFuture<List<Tensor>> c = call;
      if (c != null) {
        c.cancel(false);
      }
      timedOut(this);
    }

    void onComplete(List<Tensor> outputs, Throwable error) {
      if (!settled.compareAndSet(false, true)) {
        return;
      }
      cancelTimer.run();
      if (error == null) {
        done.done(outputs, null, number);
      } else {
        failed(this, unwrap(error));
      }
    }
  }

  private void failed(Attempt a, Throwable error) {
    if (error instanceof ReplicaCallException r && r.status().getCode() == Status.Code.DEADLINE_EXCEEDED) {
      // The pool's own deadline (the one we gave it) fired before our timer did.
      timedOut(a);
      return;
    }
    boolean unavailable = error instanceof NoReadyReplicaException
        || (error instanceof ReplicaCallException r && r.status().getCode() == Status.Code.UNAVAILABLE);
    if (unavailable && mayRetry(a)) {
      next();
      return;
    }
    done.done(null, error, a.number);
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
    return a.number < node.maxAttempts() && ex.requestNanosLeft() > 0 && !ex.isFinished();
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
