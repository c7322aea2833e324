package io.junction.orchestrator.pipeline;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Schedules step timeouts. Injected so that execution tests drive time by hand; the real one
 * is one daemon thread that only fires timeouts (its tasks never block: they settle a step and
 * dispatch the next calls, which are asynchronous).
 */
interface StepTimer {

  /** Runs {@code task} after {@code delayNanos}; the returned handle cancels it (idempotent). */
  Runnable schedule(Runnable task, long delayNanos);

  static StepTimer daemon() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "junction-pipeline-timeouts");
      t.setDaemon(true);
      return t;
    });
    // Most timeouts are cancelled because the step answered in time: do not keep them queued.
    executor.setRemoveOnCancelPolicy(true);
    return (task, delayNanos) -> {
      ScheduledFuture<?> f = executor.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    };
  }
}
