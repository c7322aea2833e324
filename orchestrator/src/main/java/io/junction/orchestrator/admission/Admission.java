package io.junction.orchestrator.admission;

import io.grpc.Context;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The door: a request is admitted when it enters a pipeline or a model call, before any worker
 * call, or refused at once with {@link AdmissionRejectedException} (RESOURCE_EXHAUSTED). The
 * counts are the bound, taken by compare-and-set, so admission never waits and never locks.
 * Batch requests may hold only {@link AdmissionConfig#maxBatchInFlight()}; the rest is kept for
 * interactive ones, so when both press, batch is refused first and interactive work still gets in.
 *
 * <p>What it must not do: queue (a refused request is told at once, and retries with backoff),
 * or know what a request does. Once admitted, a request's steps never fail for want of a slot:
 * the pools' queues are sized from this capacity ({@link AdmissionConfig#queueBound}).
 */
public final class Admission {
  private final AdmissionConfig config;
  private final int maxBatch;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger batchInFlight = new AtomicInteger();
  private final LongAdder admitted = new LongAdder();
  private final LongAdder rejectedInteractive = new LongAdder();
  private final LongAdder rejectedBatch = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();

  public Admission(AdmissionConfig config) {
    this.config = config;
    this.maxBatch = config.maxBatchInFlight();
  }

  /** A door that lets everything in (as far as counts go): for code that runs requests without a config. */
  public static Admission unlimited() {
    return new Admission(new AdmissionConfig(AdmissionConfig.MAX_IN_FLIGHT_LIMIT, 1.0, java.util.Map.of()));
  }

  public AdmissionConfig config() {
    return config;
  }

  /**
   * Admits one request of {@code priority} to {@code name} (for the message), or throws.
   *
   * @throws AdmissionRejectedException when its priority's capacity is taken
   */
  public Permit admit(String name, Priority priority) {
    if (priority == Priority.BATCH) {
      if (!increment(batchInFlight, maxBatch)) {
        rejectedBatch.increment();
        throw new AdmissionRejectedException("admission: " + maxBatch + " batch requests in flight, the limit of "
            + "admission.batch_share " + config.batchShare() + " of admission.max_in_flight " + config.maxInFlight()
            + "; " + name + " refused (expected: retry later with backoff)", priority);
      }
      if (!increment(inFlight, config.maxInFlight())) {
        batchInFlight.decrementAndGet();
        throw full(name, priority);
      }
    } else if (!increment(inFlight, config.maxInFlight())) {
      throw full(name, priority);
    }
    admitted.increment();
    return new Permit(this, priority);
  }

  private AdmissionRejectedException full(String name, Priority priority) {
    (priority == Priority.BATCH ? rejectedBatch : rejectedInteractive).increment();
    return new AdmissionRejectedException("admission: " + config.maxInFlight() + " requests in flight, the limit of "
        + "admission.max_in_flight; " + name + " refused (expected: retry later with backoff)", priority);
  }

  /**
   * Runs one request to {@code name} (a pipeline or a model) under a permit: admitted with the
   * priority the client asked for ({@link Priority#current()}) or else the one configured for
   * {@code name}, started with that priority in its context, and released when the returned
   * future completes, however it does (answer, error, cancel by the client or its deadline). The
   * future is {@code call}'s own, so that cancelling it still reaches the run. A refusal is a
   * failed future; nothing is started then.
   */
  public <T> CompletableFuture<T> run(String name, Supplier<CompletableFuture<T>> call) {
    Priority priority = Priority.current().orElseGet(() -> config.priorityOf(name));
    Permit permit;
    try {
      permit = admit(name, priority);
    } catch (AdmissionRejectedException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> future;
    Context context = priority.in(Context.current());
    Context previous = context.attach();
    try {
      future = call.get();
    } catch (RuntimeException | Error e) {
      permit.release(Permit.Outcome.FAILED);
      throw e;
    } finally {
      context.detach(previous);
    }
    future.whenComplete((value, error) -> permit.release(outcome(error)));
    return future;
  }

  private static Permit.Outcome outcome(Throwable error) {
    if (error == null) {
      return Permit.Outcome.SUCCEEDED;
    }
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return t instanceof CancellationException ? Permit.Outcome.CANCELLED : Permit.Outcome.FAILED;
  }

  /** Called once per permit, by {@link Permit#release}. */
  void released(Priority priority, Permit.Outcome outcome) {
    if (priority == Priority.BATCH) {
      batchInFlight.decrementAndGet();
    }
    inFlight.decrementAndGet();
    switch (outcome) {
      case SUCCEEDED -> succeeded.increment();
      case FAILED -> failed.increment();
      case CANCELLED -> cancelled.increment();
    }
  }

  public AdmissionSnapshot snapshot() {
    return new AdmissionSnapshot(inFlight.get(), batchInFlight.get(), admitted.sum(), rejectedInteractive.sum(),
        rejectedBatch.sum(), succeeded.sum(), failed.sum(), cancelled.sum());
  }

  /** One more below {@code limit}, or false (and no change) at it. */
  private static boolean increment(AtomicInteger count, int limit) {
    while (true) {
      int n = count.get();
      if (n >= limit) {
        return false;
      }
      if (count.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }
}
