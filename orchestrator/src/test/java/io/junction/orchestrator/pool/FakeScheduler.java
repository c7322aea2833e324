package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.PriorityQueue;

/** A {@link Scheduler} whose clock moves only when the test says; tasks run on the test's thread. */
final class FakeScheduler implements Scheduler {
  private static final class Task {
    final long due;
    final long seq;
    final Runnable run;
    volatile boolean cancelled;

    Task(long due, long seq, Runnable run) {
      this.due = due;
      this.seq = seq;
      this.run = run;
    }
  }

  private final PriorityQueue<Task> tasks = new PriorityQueue<>(
      (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
  private long now = 1_000_000_000L;
  private long seq;
  private boolean shutdown;

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable task) {
    if (shutdown) {
      return Cancellable.NONE;
    }
    Task t = new Task(now + delay.toNanos(), seq++, task);
    tasks.add(t);
    return () -> t.cancelled = true;
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
    tasks.clear();
  }

  /** Runs every task due now, including those they schedule for now. */
  void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock forward by {@code d}, running each task when its time comes. */
  void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task t;
      synchronized (this) {
        t = tasks.peek();
        if (t == null || t.due > target) {
          now = target;
          return;
        }
        tasks.poll();
        now = Math.max(now, t.due);
      }
      if (!t.cancelled) {
        t.run.run();
      }
    }
  }
}
