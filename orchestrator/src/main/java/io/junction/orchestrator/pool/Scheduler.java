package io.junction.orchestrator.pool;

import java.time.Duration;

/**
 * Time and timers for the pool, injected so that restarts, health checks and start timeouts
 * are tested with a fake clock and no sleeps. Tasks run one at a time, in order of due time:
 * the replicas' event handlers rely on that to never run concurrently with each other.
 * Tasks must not block.
 */
interface Scheduler {

  /** Runs {@code task} after {@code delay}; a task scheduled after shutdown is dropped. */
  Cancellable schedule(Duration delay, Runnable task);

  /** Runs {@code task} as soon as the tasks before it have run. */
  default void execute(Runnable task) {
    schedule(Duration.ZERO, task);
  }

  /** Monotonic time in nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /** Drops pending tasks and stops; when it returns, no task is running or will run. */
  void shutdown();

  /** A scheduled task that can be called off; cancelling twice or after it ran is harmless. */
  interface Cancellable {
    Cancellable NONE = () -> {};

    void cancel();
  }
}
