package io.junction.workers.serving;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorBatches;
import io.junction.workers.repository.BatchingConfig;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.runtime.ModelExecutionException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One model's dynamic batcher, as Triton's: requests wait in a bounded queue, and a batch of
 * them, stacked along the batch dimension, makes one engine call whose outputs are cut back per
 * request. Only requests whose inputs agree past the first dimension share a batch; each gets
 * the outputs it asked for, out of the union the batch computed.
 *
 * <p>When a batch is due: as soon as the rows queued for it reach {@code max_batch_size} or one
 * of the preferred sizes (or pass the largest, which waiting can no longer reach), or when the
 * oldest request has waited {@code max_queue_delay_us}. A due batch is handed to the model-call
 * threads as one task that takes its requests only when a thread starts it: while every thread
 * is busy, requests keep joining the queue, and the batch that finally runs is as large as they
 * allow. At most one such task per model waits for a thread at a time.
 *
 * <p>A request whose caller has gone (deadline passed, cancelled) is dropped from the queue,
 * never run: when a batch is taken, and while it waits, by the host's {@link QueueSweep}. Every request holds a {@link ModelCalls.Permit}, released exactly once with its
 * outcome before its future completes. The queue's capacity is its own bound: a full queue
 * refuses with {@link WorkerBusyException}. Time comes from the injected clock and
 * {@link BatchTimer}; the batcher has no thread of its own and never blocks.
 */
final class Batcher {
  /** One engine call: every input of the model in model.yaml order, the outputs wanted. */
  @FunctionalInterface
  interface Engine {
    List<Tensor> infer(List<Tensor> inputs, List<String> outputs);
  }

  /**
   * The threads batches run on: the model-call executor.
   *
   * @throws WorkerBusyException when its queue is full
   * @throws WorkerDrainingException when it has stopped
   */
  @FunctionalInterface
  interface Threads {
    void execute(ModelCalls.Task task);
  }

  /** Upper bounds of the batch-size histogram's buckets, before +Inf. */
  private static final long[] SIZE_BOUNDS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  private final String model;
  private final int maxBatch;
  private final long delayNanos;
  private final List<Integer> preferred;
  private final List<String> outputOrder;
  private final int capacity;
  private final Engine engine;
  private final Threads threads;
  private final BatchTimer timer;
  private final LongSupplier clock;
  private final Runner runner = new Runner();

  private final Object lock = new Object();
  @GuardedBy("lock")
  private final ArrayBlockingQueue<Job> queue;
  /** A runner is queued on the threads and has not taken its batch yet. */
  @GuardedBy("lock")
  private boolean runnerPending;
  @GuardedBy("lock")
  private boolean timerArmed;

  private final LongAdder batches = new LongAdder();
  private final LongAdder batchRows = new LongAdder();
  private final LongAdder jobs = new LongAdder();
  private final LongAdder queueNanos = new LongAdder();
  private final AtomicLong queueNanosMax = new AtomicLong();
  private final int bucketCount;
  private final AtomicLongArray sizeCounts;

  Batcher(ModelConfig config, BatchingConfig batching, int capacity, Engine engine, Threads threads,
      BatchTimer timer, LongSupplier clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
    }
    this.model = config.name();
    this.maxBatch = config.maxBatchSize();
    this.delayNanos = TimeUnit.MICROSECONDS.toNanos(batching.maxQueueDelayMicros());
    this.preferred = batching.preferredBatchSizes();
    this.outputOrder = config.outputNames();
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.engine = engine;
    this.threads = threads;
    this.timer = timer;
    this.clock = clock;
    int n = 0;
    while (n < SIZE_BOUNDS.length && (n == 0 || SIZE_BOUNDS[n - 1] < maxBatch)) {
      n++;
    }
    this.bucketCount = n;
    this.sizeCounts = new AtomicLongArray(n + 1);
  }

  /**
   * Queues one checked request.
   *
   * @param inputs every input of the model, in model.yaml order
   * @param outputs the outputs it wants, in the order it wants them
   * @param rows its batch size, the first dimension of its inputs
   * @param permit its admission, released here exactly once
   * @return its outputs; fails with {@link CallAbandonedException} when dropped
   * @throws WorkerBusyException when the queue is full (the permit is released first)
   */
  CompletableFuture<List<Tensor>> submit(List<Tensor> inputs, List<String> outputs, long rows, CallScope scope,
      ModelCalls.Permit permit) {
    Job job = new Job(inputs, outputs, rows, scope, permit, clock.getAsLong());
    List<Dropped> dropped = new ArrayList<>(0);
    boolean queued;
    boolean start = false;
    synchronized (lock) {
      queued = queue.offer(job);
      if (!queued) {
        // Callers that have gone still hold places: make room from them before refusing.
        removeAbandonedLocked(dropped);
        queued = queue.offer(job);
      }
      if (queued) {
        start = dueLocked(job.enqueuedNanos);
      }
    }
    finish(dropped);
    if (!queued) {
      permit.release(ModelCalls.Outcome.REJECTED);
      throw new WorkerBusyException(capacity, capacity);
    }
    if (start) {
      startRunner();
    }
    return job.future;
  }

  /** Refuses every queued request: the executor has stopped, nothing will run them. */
  void refuseAll() {
    List<Job> refused;
    synchronized (lock) {
      refused = new ArrayList<>(queue);
      queue.clear();
      runnerPending = false;
    }
    WorkerDrainingException e = new WorkerDrainingException("model " + model);
    refused.forEach(j -> j.fail(ModelCalls.Outcome.REJECTED, e));
  }

  /**
   * Drops the queued requests whose caller has gone, without waiting for a batch to be taken
   * ({@link QueueSweep}); each is answered and its permit released as DROPPED.
   *
   * @return requests still waiting for a batch
   */
  int sweep() {
    List<Dropped> dropped = new ArrayList<>(0);
    int left;
    synchronized (lock) {
      removeAbandonedLocked(dropped);
      left = queue.size();
    }
    finish(dropped);
    return left;
  }

  /** Requests waiting for a batch. */
  int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }

  BatchStats stats() {
    List<BatchStats.Bucket> sizes = new ArrayList<>(bucketCount + 1);
    long cumulative = 0;
    for (int i = 0; i <= bucketCount; i++) {
      cumulative += sizeCounts.get(i);
      sizes.add(new BatchStats.Bucket(i < bucketCount ? SIZE_BOUNDS[i] : Long.MAX_VALUE, cumulative));
    }
    return new BatchStats(batches.sum(), batchRows.sum(), jobs.sum(),
        TimeUnit.NANOSECONDS.toMicros(queueNanos.sum()), TimeUnit.NANOSECONDS.toMicros(queueNanosMax.get()), sizes);
  }

  // ---- when a batch is due ----

  /**
   * Whether a runner must start now; if so it is marked pending and the caller starts it
   * outside the lock. Otherwise arms the timer for the oldest request's delay, once.
   */
  @GuardedBy("lock")
  private boolean dueLocked(long now) {
    Job head = queue.peek();
    if (head == null || runnerPending) {
      return false;
    }
    long waited = now - head.enqueuedNanos;
    if (waited >= delayNanos || batchFullLocked(head)) {
      runnerPending = true;
      return true;
    }
    if (!timerArmed) {
      timerArmed = true;
      timer.schedule(this::onTimer, delayNanos - waited);
    }
    return false;
  }

  /** The rows that could join the oldest request reach max_batch_size, a preferred size, or pass the largest. */
  @GuardedBy("lock")
  private boolean batchFullLocked(Job head) {
    long rows = 0;
    for (Job j : queue) {
      if (j.key.equals(head.key)) {
        rows += j.rows;
        if (rows >= maxBatch) {
          return true;
        }
      }
    }
    return !preferred.isEmpty() && (preferred.contains((int) rows) || rows > preferred.get(preferred.size() - 1));
  }

  private void onTimer() {
    boolean start;
    synchronized (lock) {
      timerArmed = false;
      start = dueLocked(clock.getAsLong());
    }
    if (start) {
      startRunner();
    }
  }

  /**
   * Hands the runner to the threads. When they refuse (queue full, stopped), the batch it would
   * have taken is refused the same way, and the next due batch, if any, is tried in turn.
   */
  private void startRunner() {
    while (true) {
      RuntimeException refusal;
      try {
        threads.execute(runner);
        return;
      } catch (WorkerBusyException | WorkerDrainingException e) {
        refusal = e;
      }
      Taken taken = take(clock.getAsLong());
      taken.refuse(refusal);
      if (!taken.more) {
        return;
      }
    }
  }

  // ---- taking and running a batch ----

  /**
   * What a runner (or the refusal of one) takes from the queue: the requests whose caller has
   * gone, the next batch, and whether another batch is due already (its runner then pending).
   */
  private record Taken(List<Dropped> dropped, List<Job> batch, boolean more) {
    /** Answers every request taken: dropped ones as dropped, the batch with {@code refusal}. */
    void refuse(RuntimeException refusal) {
      finish(dropped);
      batch.forEach(j -> j.fail(ModelCalls.Outcome.REJECTED, refusal));
    }
  }

  private Taken take(long now) {
    List<Dropped> dropped = new ArrayList<>(0);
    synchronized (lock) {
      runnerPending = false;
      removeAbandonedLocked(dropped);
      List<Job> batch = takeBatchLocked();
      return new Taken(dropped, batch, dueLocked(now));
    }
  }

  /** Takes the oldest request and those that can join it, in arrival order, up to max_batch_size rows. */
  @GuardedBy("lock")
  private List<Job> takeBatchLocked() {
    Job head = queue.peek();
    if (head == null) {
      return List.of();
    }
    List<Job> batch = new ArrayList<>();
    long rows = 0;
    for (Iterator<Job> it = queue.iterator(); it.hasNext() && rows < maxBatch; ) {
      Job j = it.next();
      if (j.key.equals(head.key) && rows + j.rows <= maxBatch) {
        batch.add(j);
        rows += j.rows;
        it.remove();
      }
    }
    return batch;
  }

  @GuardedBy("lock")
  private void removeAbandonedLocked(List<Dropped> dropped) {
    for (Iterator<Job> it = queue.iterator(); it.hasNext(); ) {
      Job j = it.next();
      Optional<CallAbandonedException.Reason> gone = j.scope.abandoned();
      if (gone.isPresent()) {
        it.remove();
        dropped.add(new Dropped(j, gone.get()));
      }
    }
  }

  private static void finish(List<Dropped> dropped) {
    for (Dropped d : dropped) {
      d.job.fail(ModelCalls.Outcome.DROPPED, new CallAbandonedException(d.reason));
    }
  }

  /** Runs one batch on the calling (model-call) thread and answers each of its requests. */
  private void run(List<Job> batch, long now) {
    int n = batch.size();
    long[] rows = new long[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      Job j = batch.get(i);
      rows[i] = j.rows;
      total += j.rows;
      long waited = Math.max(0, now - j.enqueuedNanos);
      queueNanos.add(waited);
      queueNanosMax.accumulateAndGet(waited, Math::max);
    }
    jobs.add(n);
    List<List<Tensor>> answers;
    try {
      answers = answers(batch, rows);
    } catch (Throwable t) {
      batch.forEach(j -> j.fail(ModelCalls.Outcome.FAILED, t));
      if (t instanceof VirtualMachineError fatal) {
        throw fatal;
      }
      return;
    }
    batches.increment();
    batchRows.add(total);
    sizeCounts.incrementAndGet(bucket(total));
    for (int i = 0; i < n; i++) {
      batch.get(i).succeed(answers.get(i));
    }
  }

  /** Stacks the batch's inputs, calls the engine once for the union of the outputs, cuts the outputs back. */
  private List<List<Tensor>> answers(List<Job> batch, long[] rows) {
    List<String> union = outputOrder.stream()
        .filter(name -> batch.stream().anyMatch(j -> j.outputs.contains(name)))
        .toList();
    List<Tensor> inputs = new ArrayList<>();
    int inputCount = batch.get(0).inputs.size();
    for (int k = 0; k < inputCount; k++) {
      List<Tensor> parts = new ArrayList<>(batch.size());
      for (Job j : batch) {
        parts.add(j.inputs.get(k));
      }
      inputs.add(TensorBatches.stack(parts));
    }
    List<Tensor> out = engine.infer(inputs, union);
    List<List<Tensor>> pieces = new ArrayList<>(union.size());
    for (Tensor t : out) {
      try {
        pieces.add(TensorBatches.split(t, rows));
      } catch (IllegalArgumentException e) {
        throw new ModelExecutionException("model " + model + ": batched output " + e.getMessage(), e);
      }
    }
    List<List<Tensor>> answers = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      List<Tensor> mine = new ArrayList<>(batch.get(i).outputs.size());
      for (String name : batch.get(i).outputs) {
        mine.add(pieces.get(union.indexOf(name)).get(i));
      }
      answers.add(mine);
    }
    return answers;
  }

  private int bucket(long size) {
    for (int i = 0; i < bucketCount; i++) {
      if (size <= SIZE_BOUNDS[i]) {
        return i;
      }
    }
    return bucketCount;
  }

  /** Takes a batch when a model-call thread starts it; a second due batch gets a runner of its own. */
  private final class Runner implements ModelCalls.Task {
    @Override
    public void run() {
      long now = clock.getAsLong();
      Taken taken = take(now);
      finish(taken.dropped);
      if (taken.more) {
        startRunner();
      }
      if (!taken.batch.isEmpty()) {
        Batcher.this.run(taken.batch, now);
      }
    }

    @Override
    public void refuse() {
      refuseAll();
    }
  }

  private record Dropped(Job job, CallAbandonedException.Reason reason) {}

  /** One queued request. */
  private static final class Job {
    final List<Tensor> inputs;
    final List<String> outputs;
    final long rows;
    final String key;
    final CallScope scope;
    final ModelCalls.Permit permit;
    final long enqueuedNanos;
    final CompletableFuture<List<Tensor>> future = new CompletableFuture<>();

    Job(List<Tensor> inputs, List<String> outputs, long rows, CallScope scope, ModelCalls.Permit permit,
        long enqueuedNanos) {
      this.inputs = inputs;
      this.outputs = outputs;
      this.rows = rows;
      this.key = TensorBatches.compatibilityKey(inputs);
      this.scope = scope;
      this.permit = permit;
      this.enqueuedNanos = enqueuedNanos;
    }

    void succeed(List<Tensor> outputs) {
      permit.release(ModelCalls.Outcome.SUCCEEDED);
      future.complete(outputs);
    }

    void fail(ModelCalls.Outcome outcome, Throwable t) {
      permit.release(outcome);
      future.completeExceptionally(t);
    }
  }
}
