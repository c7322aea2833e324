package io.junction.workers.serving;

import io.junction.workers.runtime.LoadedModel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A loaded model with its counters and a reference count. The host's map holds one reference;
 * every admitted call holds one more until its permit is released. The engine's resources are
 * freed when the last reference goes, so unloading never pulls a model from under a running
 * call.
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
  private final AtomicInteger refs = new AtomicInteger(1);

  ModelSlot(LoadedModel model, long loadMillis) {
    this.model = model;
    this.loadMillis = loadMillis;
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

  void release() {
    int n = refs.decrementAndGet();
    if (n == 0) {
      model.close();
    } else if (n < 0) {
      throw new IllegalStateException(model + ": released more often than retained");
    }
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
