package io.junction.workers.serving;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * When a batcher's queue delay runs out. Injected so that the batcher is tested with a fake
 * clock and a timer the test fires by hand, without sleeps.
 */
public interface BatchTimer extends AutoCloseable {
  /**
   * Runs {@code task} once, {@code delayNanos} from now. Tasks are short and never block: they
   * decide whether a batch is due and hand it to the model-call threads.
   */
  void schedule(Runnable task, long delayNanos);

  /** Stops the timer; tasks not yet run are dropped (the host refuses what they would have served). */
  @Override
  void close();

  /**
   * One daemon thread named "batch-timer". Its queue holds at most one task per batching model
   * (a batcher arms one timer at a time), so it needs no bound of its own.
   */
  static BatchTimer daemonThread() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "batch-timer");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return new BatchTimer() {
      @Override
      public void schedule(Runnable task, long delayNanos) {
        try {
          timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          // Closed: the host is closing and refuses every queued job itself.
        }
      }

      @Override
      public void close() {
        timer.shutdownNow();
      }
    };
  }
}
