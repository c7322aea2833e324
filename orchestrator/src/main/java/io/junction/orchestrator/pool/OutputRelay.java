package io.junction.orchestrator.pool;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the lines local workers print to the orchestrator's log on a thread of its own, through
 * a bounded queue. The threads reading the workers' pipes only queue a line and go on reading:
 * a log that cannot keep up (a slow or blocked stderr) must never stop them, or a worker whose
 * pipe fills would block in its own logging, model threads included. When the queue is full a
 * line is dropped and counted, and the count is logged once the relay catches up.
 *
 * <p>One relay (one thread, "junction-worker-log", parked while there is nothing to log) serves
 * every worker of a launcher; it stops with {@link #close}. It must not do anything but log.
 */
final class OutputRelay implements AutoCloseable {
  /** Lines that may wait for the log. */
  static final int CAPACITY = 4096;

  /** Where the lines go: the log, or a test's recorder. Called on the relay's thread only. */
  interface Sink {
    void line(String replicaId, String line);

    /** {@code count} lines were dropped since the last report because the queue was full. */
    void dropped(long count);
  }

  private record Line(String replicaId, String text) {}

  private final BlockingQueue<Line> queue;
  private final Sink sink;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedTotal = new AtomicLong();
  private final Thread thread;
  private volatile boolean closed;

  OutputRelay(int capacity, Sink sink) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sink = sink;
    this.thread = new Thread(this::run, "junction-worker-log");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a line for the log without ever blocking; false (and counted) when the queue is full. */
  boolean offer(String replicaId, String line) {
    if (closed || !queue.offer(new Line(replicaId, line))) {
      dropped.incrementAndGet();
      droppedTotal.incrementAndGet();
      return false;
    }
    return true;
  }

  /** Whether the relay's thread still runs (until {@link #close}). */
  boolean running() {
    return thread.isAlive();
  }

  /** Lines dropped since the relay started. */
  long droppedTotal() {
    return droppedTotal.get();
  }

  private void run() {
    while (true) {
      Line line;
      try {
        line = queue.take();
      } catch (InterruptedException e) {
        // Closed: log what is still queued, then stop.
        for (Line rest = queue.poll(); rest != null; rest = queue.poll()) {
          deliver(rest);
        }
        deliver(null);
        return;
      }
      deliver(line);
    }
  }

  /** Reports the lines dropped since the last report, then logs {@code line} (if any). */
  private void deliver(Line line) {
    long lost = dropped.getAndSet(0);
    try {
      if (lost > 0) {
        sink.dropped(lost);
      }
      if (line != null) {
        sink.line(line.replicaId(), line.text());
      }
    } catch (RuntimeException e) {
      // A failing log appender must not end the relay; the line is lost.
    }
  }

  /** Stops the thread once it has logged what is queued (waiting at most a second for the log). */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
