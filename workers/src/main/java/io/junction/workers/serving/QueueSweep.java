package io.junction.workers.serving;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes queued calls whose caller has gone (cancelled, or its deadline passed) out of the
 * queues while they wait, rather than only when a model thread reaches them: a busy model would
 * otherwise keep a dead call's queue place and permit for as long as the calls ahead of it run.
 * Scopes are polled, not notified, so every kind of caller (a unary call's context, one call of
 * a call stream, a segment's step) is covered by the same check the dequeue makes.
 *
 * <p>Runs on the batch timer, every {@code intervalNanos} while anything is queued and not at
 * all when the queues are empty: each admission {@link #poke}s it, and a sweep that leaves
 * something queued arms the next one. It never blocks; what it drops is answered (and its permit
 * released, exactly once, as DROPPED) by the queue that owned it.
 */
final class QueueSweep {
  private static final Logger log = LoggerFactory.getLogger(QueueSweep.class);

  private final BatchTimer timer;
  private final long intervalNanos;
  /** Drops what was abandoned from every queue; returns how many calls are still queued. */
  private final IntSupplier sweep;
  /** A sweep is scheduled and has not started yet. */
  private final AtomicBoolean armed = new AtomicBoolean();

  QueueSweep(BatchTimer timer, long intervalNanos, IntSupplier sweep) {
    this.timer = timer;
    this.intervalNanos = intervalNanos;
    this.sweep = sweep;
  }

  /** Something was queued: make sure a sweep will look at it. */
  void poke() {
    if (armed.compareAndSet(false, true)) {
      timer.schedule(this::run, intervalNanos);
    }
  }

  private void run() {
    // Disarmed before looking: a call queued after this point pokes a sweep of its own.
    armed.set(false);
    int left;
    try {
      left = sweep.getAsInt();
    } catch (RuntimeException e) {
      log.warn("Queue sweep failed; the next admission retries it", e);
      return;
    }
    if (left > 0) {
      poke();
    }
  }
}
