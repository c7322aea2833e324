package io.junction.orchestrator.server;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads of the HTTP endpoints, bounded: one "junction-http" thread with a queue of
 * {@code queue} exchanges does the work (a scrape asks every worker for its stats). An exchange
 * that finds that queue full goes to a second thread, "junction-http-shed", which only answers
 * 503 ({@link #shedding()} tells the handler so) and so drains at once; one that finds that full
 * too is refused, and the JDK server closes its connection. So a flood of probes or scrapes
 * costs at most two queues of exchanges, never the process's memory, and never waits on the
 * server's dispatcher thread.
 */
final class HttpExecutor implements Executor {
  /** Exchanges that may wait for each thread. */
  static final int QUEUE = 32;

  private static final ThreadLocal<Boolean> SHEDDING = ThreadLocal.withInitial(() -> false);

  private final ThreadPoolExecutor work;
  private final ThreadPoolExecutor shed;

  HttpExecutor(int queue) {
    work = single("junction-http", queue);
    shed = single("junction-http-shed", queue);
  }

  private static ThreadPoolExecutor single(String name, int queue) {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
  }

  /**
   * @throws RejectedExecutionException when both queues are full (or stopped)
   */
  @Override
  public void execute(Runnable exchange) {
    try {
      work.execute(exchange);
    } catch (RejectedExecutionException full) {
      shed.execute(() -> {
        SHEDDING.set(true);
        try {
          exchange.run();
        } finally {
          SHEDDING.remove();
        }
      });
    }
  }

  /** True in a handler that is to answer 503 at once: its exchange found the work queue full. */
  static boolean shedding() {
    return SHEDDING.get();
  }

  void shutdownNow() {
    work.shutdownNow();
    shed.shutdownNow();
  }
}
