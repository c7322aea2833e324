package io.junction.workers.serving;

import io.junction.tensor.Tensor;
import io.junction.workers.runtime.LoadedModel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A loaded model with its counters, its batcher when it batches, and a reference count. The
 * host's map holds one reference; every admitted call holds one more until its permit is
 * released. The engine's resources are freed when the last reference goes, so unloading never
 * pulls a model from under a running or queued call.
 */
final class ModelSlot {
  final LoadedModel model;
  final long loadMillis;
  /** Calls of users. */
  final Counters served = new Counters();
  /** Calls of the warm-up, which happen before the model counts as loaded. */
  final Counters warmup = new Counters();
  /** Set once the warm-up has passed; until then only warm-up calls reach the model. */
  volatile boolean warm;
  /** Present when the model batches; it calls the engine through {@link #run}. */
  final Optional<Batcher> batcher;
  private final LongSupplier nanoClock;
  private final AtomicInteger refs = new AtomicInteger(1);

  /**
   * @param batching makes the model's batcher from the engine call it is to use; empty when the
   *     model does not batch. The batcher only keeps the engine call: it runs none while built.
   */
  ModelSlot(LoadedModel model, long loadMillis, LongSupplier nanoClock,
      Optional<Function<Batcher.Engine, Batcher>> batching) {
    this.model = model;
    this.loadMillis = loadMillis;
    this.nanoClock = nanoClock;
    this.batcher = batching.map(make -> make.apply(this::run));
  }

  /**
   * One engine call, counted: its time always, its rows when it succeeds; as users' work once
   * the model is warm, as warm-up before (when only warm-up calls reach it, batched or not).
   */
  List<Tensor> run(List<Tensor> inputs, List<String> outputs) {
    Counters counters = warm ? served : warmup;
    long start = nanoClock.getAsLong();
    List<Tensor> out;
    try {
      out = model.infer(inputs, outputs);
    } finally {
      counters.micros.add(TimeUnit.NANOSECONDS.toMicros(nanoClock.getAsLong() - start));
    }
    counters.rows.add(inputs.get(0).dim(0));
    return out;
  }

  /** Takes a reference for one call; false when the slot is already unloaded. */
  boolean retain() {
    int n;
    do {
      n = refs.get();
      if (n == 0) {
        return false;
      }
    } while (!refs.compareAndSet(n, n + 1));
    return true;
  }

  /** Gives back a reference; true when it was the last, and the engine's resources are now freed. */
  boolean release() {
    int n = refs.decrementAndGet();
    if (n == 0) {
      model.close();
      return true;
    } else if (n < 0) {
      throw new IllegalStateException(model + ": released more often than retained");
    }
    return false;
  }

  /** What the calls of one kind cost and gave. */
  static final class Counters {
    final LongAdder calls = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder rows = new LongAdder();
    final LongAdder micros = new LongAdder();

    /** Counts one finished call. */
    void record(ModelCalls.Outcome outcome) {
      calls.increment();
      if (outcome != ModelCalls.Outcome.SUCCEEDED) {
        errors.increment();
      }
    }
  }
}
