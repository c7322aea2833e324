package io.junction.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A hand-driven clock and timer: time moves only in {@link #advanceMillis}, which fires due timeouts. */
final class FakeTime implements LongSupplier {
  private long now = 1_000_000_000L;
  private long sequence;
  private final List<Task> tasks = new ArrayList<>();

  private record Task(long due, long seq, Runnable run) {}

  @Override
  public synchronized long getAsLong() {
    return now;
  }

  /** Runs {@code task} after {@code delayNanos}; the returned handle cancels it. */
  synchronized Runnable schedule(Runnable task, long delayNanos) {
    Task t = new Task(now + delayNanos, sequence++, task);
    tasks.add(t);
    return () -> {
      synchronized (this) {
        tasks.remove(t);
      }
    };
  }

  /** A request timeout, as the engine's run takes it. */
  static long millis(long ms) {
    return TimeUnit.MILLISECONDS.toNanos(ms);
  }

  /** Moves time forward, running every timer that falls due, in order, outside the lock. */
  void advanceMillis(long ms) {
    long target;
    synchronized (this) {
      target = now + TimeUnit.MILLISECONDS.toNanos(ms);
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.stream().filter(t -> t.due() <= target)
            .min(Comparator.comparingLong(Task::due).thenComparingLong(Task::seq)).orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due());
      }
      next.run().run();
    }
  }

  /** Moves time without running due timers: a timer thread that is late, as real ones can be. */
  synchronized void skipMillis(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  synchronized int pendingTimers() {
    return tasks.size();
  }
}
