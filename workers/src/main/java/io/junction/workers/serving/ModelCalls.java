package io.junction.workers.serving;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The bounded executor that runs model calls, and nothing else: {@code threads} threads named
 * "model-calls-N" and a queue of {@code capacity}. The queue's own bound refuses work (no size
 * check beside it). A call whose caller has gone is dropped, not run: by the host's
 * {@link QueueSweep} while it waits ({@link #sweep}), or when a thread takes it. Every admitted call holds one permit that is released exactly once, with its outcome,
 * before its future completes; so a caller that sees the answer also sees the permit gone.
 *
 * <p>A {@link Batcher} admits its jobs here too ({@link #admit}), so that drain and stats count
 * them, and runs its batches on the same threads ({@link #execute}).
 */
final class ModelCalls {
  /** How an admitted call ended. */
  enum Outcome { SUCCEEDED, FAILED, DROPPED, REJECTED }

  /** Work for the threads that must hear when it will never run, because the executor stopped first. */
  interface Task extends Runnable {
    /** Called instead of {@link #run()} when the executor shuts down with the task still queued. */
    void refuse();
  }

  private final ThreadPoolExecutor pool;
  private final int capacity;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Map<Outcome, AtomicLong> outcomes = new EnumMap<>(Outcome.class);
  private volatile boolean accepting = true;

  private final Object idleLock = new Object();
  @GuardedBy("idleLock")
  private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();

  ModelCalls(int threads, int capacity) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
    }
    if (capacity < 1) {
      throw new IllegalArgumentException("queue: " + capacity + " (expected: >= 1)");
    }
    this.capacity = capacity;
    this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(capacity), named("model-calls"), new ThreadPoolExecutor.AbortPolicy());
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, new AtomicLong());
    }
  }

  /**
   * Queues {@code work}; the future completes with its result, its exception, or a
   * {@link CallAbandonedException} when dropped. {@code onDone} gets the outcome exactly once,
   * whatever happens, before the future completes (also when this method throws).
   *
   * @throws WorkerBusyException when the queue is full
   * @throws WorkerDrainingException when no longer accepting
   */
  <T> CompletableFuture<T> submit(CallScope scope, Supplier<T> work, Consumer<Outcome> onDone) {
    Permit permit = admit(onDone);
    Call<T> call = new Call<>(scope, work, permit);
    try {
      execute(call);
    } catch (RuntimeException e) {
      permit.release(Outcome.REJECTED);
      throw e;
    }
    return call.future;
  }

  /**
   * Admits one call without queueing anything: the caller holds the permit and must release it
   * exactly once. {@code onDone} gets the outcome when it is released (also when this method throws).
   *
   * @throws WorkerDrainingException when no longer accepting
   */
  Permit admit(Consumer<Outcome> onDone) {
    Permit permit = new Permit(onDone);
    if (!accepting) {
      permit.release(Outcome.REJECTED);
      throw new WorkerDrainingException("call");
    }
    return permit;
  }

  /**
   * Queues a task for the threads; it holds no permit of its own.
   *
   * @throws WorkerBusyException when the queue is full
   * @throws WorkerDrainingException when the executor has stopped
   */
  void execute(Task task) {
    try {
      pool.execute(task);
    } catch (RejectedExecutionException e) {
      if (!accepting || pool.isShutdown()) {
        throw new WorkerDrainingException("call");
      }
      throw new WorkerBusyException(pool.getQueue().size(), capacity);
    }
  }

  /**
   * Drops the queued calls whose caller has gone, before a thread reaches them: a call leaves
   * the queue here or on a thread, never both (the queue's own removal decides), and its permit
   * is released once, as DROPPED. Batches waiting for a thread are left alone (their batcher
   * sweeps its own queue).
   *
   * @return calls still waiting for a thread
   */
  int sweep() {
    for (Runnable r : pool.getQueue().toArray(new Runnable[0])) {
      if (r instanceof Call<?> c) {
        Optional<CallAbandonedException.Reason> gone = c.scope.abandoned();
        if (gone.isPresent() && pool.remove(c)) {
          c.drop(gone.get());
        }
      }
    }
    return pool.getQueue().size();
  }

  /** Calls admitted and not yet finished: queued plus running. */
  int inFlight() {
    return inFlight.get();
  }

  int threads() {
    return pool.getMaximumPoolSize();
  }

  int queued() {
    return pool.getQueue().size();
  }

  long outcomes(Outcome o) {
    return outcomes.get(o).get();
  }

  /** From now on every submit is refused with {@link WorkerDrainingException}. */
  void stopAccepting() {
    accepting = false;
  }

  boolean accepting() {
    return accepting;
  }

  /** Completes when nothing is in flight. */
  CompletableFuture<Void> whenIdle() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (idleLock) {
      if (inFlight.get() == 0) {
        f.complete(null);
      } else {
        idleWaiters.add(f);
      }
    }
    return f;
  }

  /** Stops the threads; calls still queued are dropped with {@link WorkerDrainingException}. */
  void shutdown() {
    accepting = false;
    for (Runnable r : pool.shutdownNow()) {
      ((Task) r).refuse();
    }
  }

  boolean awaitTermination(long millis) throws InterruptedException {
    return pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }

  private void released() {
    if (inFlight.decrementAndGet() == 0) {
      List<CompletableFuture<Void>> ready;
      synchronized (idleLock) {
        ready = new ArrayList<>(idleWaiters);
        idleWaiters.clear();
      }
      ready.forEach(f -> f.complete(null));
    }
  }

  /** One admitted call's claim on the executor; released exactly once. */
  final class Permit {
    private final AtomicBoolean released = new AtomicBoolean();
    private final Consumer<Outcome> onDone;

    Permit(Consumer<Outcome> onDone) {
      this.onDone = onDone;
      inFlight.incrementAndGet();
    }

    void release(Outcome outcome) {
      if (!released.compareAndSet(false, true)) {
        throw new IllegalStateException("permit released twice (second outcome: " + outcome + ")");
      }
      outcomes.get(outcome).incrementAndGet();
      try {
        onDone.accept(outcome);
      } finally {
        released();
      }
    }
  }

  private static final class Call<T> implements Task {
    final CompletableFuture<T> future = new CompletableFuture<>();
    private final CallScope scope;
    private final Supplier<T> work;
    private final ModelCalls.Permit permit;

    Call(CallScope scope, Supplier<T> work, ModelCalls.Permit permit) {
      this.scope = scope;
      this.work = work;
      this.permit = permit;
    }

    @Override
    public void run() {
      Optional<CallAbandonedException.Reason> gone = scope.abandoned();
      if (gone.isPresent()) {
        drop(gone.get());
        return;
      }
      T result;
      try {
        result = work.get();
      } catch (Throwable t) {
        permit.release(Outcome.FAILED);
        future.completeExceptionally(t);
        return;
      }
      permit.release(Outcome.SUCCEEDED);
      future.complete(result);
    }

    void drop(CallAbandonedException.Reason reason) {
      permit.release(Outcome.DROPPED);
      future.completeExceptionally(new CallAbandonedException(reason));
    }

    @Override
    public void refuse() {
      permit.release(Outcome.REJECTED);
      future.completeExceptionally(new WorkerDrainingException("call"));
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
