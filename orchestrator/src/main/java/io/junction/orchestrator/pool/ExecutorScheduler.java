package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real {@link Scheduler}: one daemon thread, so every replica event is handled in order
 * and never concurrently with another. Nothing run here blocks (launching a process forks
 * and returns; probes are asynchronous), so one thread serves every pool.
 */
final class ExecutorScheduler implements Scheduler {
  private static final Logger log = LoggerFactory.getLogger(ExecutorScheduler.class);

  private final ScheduledThreadPoolExecutor executor;

  ExecutorScheduler() {
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "junction-pool-events");
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    try {
      ScheduledFuture<?> f = executor.schedule(() -> {
        try {
          task.run();
        } catch (Throwable t) {
          // A scheduled executor would swallow it silently; a bug here must be visible.
          log.error("pool event task failed", t);
        }
      }, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException e) {
      return Cancellable.NONE; // shut down: the pool is closing
    }
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public void shutdown() {
    executor.shutdownNow();
    try {
      // Tasks never block, so a running one ends at once; waiting makes "after shutdown"
      // really mean that no task runs any more.
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
