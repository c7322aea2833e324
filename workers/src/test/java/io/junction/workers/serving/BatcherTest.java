package io.junction.workers.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.workers.api.StatusMapper;
import io.junction.workers.repository.BatchingConfig;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.runtime.ModelExecutionException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher with a fake clock, a timer fired by hand, model-call "threads" that run only when
 * the test says (so they can be held busy), and a fake engine that doubles x into y and sums each
 * row of x into total. No sleeps: every step is the test's.
 */
class BatcherTest {
  private static final long DELAY_MICROS = 1_000;

  private long now;
  private final List<Timer> timers = new ArrayList<>();
  private final Deque<ModelCalls.Task> threads = new ArrayDeque<>();
  private RuntimeException threadsRefuse;
  private final List<long[]> engineCalls = new ArrayList<>();
  private final List<List<String>> engineOutputs = new ArrayList<>();
  private RuntimeException engineFails;
  private final ModelCalls calls = new ModelCalls(1, 1);
  private final List<ModelCalls.Outcome> outcomes = new ArrayList<>();

  private record Timer(long at, Runnable task) {}

  @AfterEach
  void shutdown() {
    calls.shutdown();
  }

  private Batcher batcher(int maxBatch, List<Integer> preferred, int capacity) {
    ModelConfig config = new ModelConfig("scale", 1, ModelConfig.PLATFORM_TENSORFLOW, maxBatch,
        Optional.of(new BatchingConfig(DELAY_MICROS, preferred)),
        List.of(new TensorSpec("x", DataType.FP32, List.of(-1L, -1L))),
        List.of(new TensorSpec("y", DataType.FP32, List.of(-1L, -1L)), new TensorSpec("total", DataType.FP64, List.of(-1L))),
        Map.of(), List.of(), Path.of("/repo/scale/1"));
    BatchTimer timer = new BatchTimer() {
      @Override
      public void schedule(Runnable task, long delayNanos) {
        timers.add(new Timer(now + delayNanos, task));
      }

      @Override
      public void close() {}
    };
    Batcher.Threads pool = task -> {
      if (threadsRefuse != null) {
        throw threadsRefuse;
      }
      threads.add(task);
    };
    return new Batcher(config, config.batching().orElseThrow(), capacity, this::engine, pool, timer, () -> now);
  }

  private List<Tensor> engine(List<Tensor> inputs, List<String> outputs) {
    Tensor x = inputs.get(0);
    engineCalls.add(x.shape());
    engineOutputs.add(outputs);
    if (engineFails != null) {
      throw engineFails;
    }
    float[] v = x.floats();
    int width = (int) x.dim(1);
    float[] doubled = new float[v.length];
    double[] sums = new double[(int) x.dim(0)];
    for (int i = 0; i < v.length; i++) {
      doubled[i] = 2 * v[i];
      sums[i / width] += v[i];
    }
    List<Tensor> out = new ArrayList<>();
    for (String name : outputs) {
      out.add(name.equals("y") ? Tensor.ofFloats("y", x.shape(), doubled)
          : Tensor.ofDoubles("total", new long[] {x.dim(0)}, sums));
    }
    return out;
  }

  private CompletableFuture<List<Tensor>> submit(Batcher b, CallScope scope, List<String> outputs, float[][] rows) {
    int width = rows[0].length;
    float[] flat = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * width, width);
    }
    Tensor x = Tensor.ofFloats("x", new long[] {rows.length, width}, flat);
    return b.submit(List.of(x), outputs, rows.length, scope, calls.admit(outcomes::add));
  }

  private CompletableFuture<List<Tensor>> one(Batcher b, float... row) {
    return submit(b, CallScope.waiting(), List.of("y"), new float[][] {row});
  }

  /** Lets the held "threads" run every task they hold, including those queued meanwhile. */
  private void runThreads() {
    for (int i = 0; i < 100 && !threads.isEmpty(); i++) {
      threads.poll().run();
    }
    assertThat(threads).isEmpty();
  }

  private void advanceMicros(long micros) {
    now += TimeUnit.MICROSECONDS.toNanos(micros);
    List<Timer> due = timers.stream().filter(t -> t.at() <= now).toList();
    timers.removeAll(due);
    due.forEach(t -> t.task().run());
  }

  private static float[] y(CompletableFuture<List<Tensor>> f) {
    assertThat(f).isCompleted();
    return f.join().get(0).floats();
  }

  @Test
  void requestsQueueUntilAPreferredSizeThenRunAsOneBatch() {
    Batcher b = batcher(8, List.of(4), 16);
    List<CompletableFuture<List<Tensor>>> fs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      fs.add(one(b, i, 10 + i));
    }
    assertThat(threads).isEmpty();
    fs.add(one(b, 3, 13));
    assertThat(threads).hasSize(1);
    runThreads();

    assertThat(engineCalls).containsExactly(new long[] {4, 2});
    for (int i = 0; i < 4; i++) {
      assertThat(y(fs.get(i))).containsExactly(2f * i, 2f * (10 + i));
      assertThat(fs.get(i).join().get(0).shape()).containsExactly(1, 2);
    }
    assertThat(outcomes).hasSize(4).containsOnly(ModelCalls.Outcome.SUCCEEDED);
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void whileTheThreadsAreBusyRequestsStackUpToMaxBatchSizeAndTheRestFollow() {
    Batcher b = batcher(8, List.of(), 16);
    List<CompletableFuture<List<Tensor>>> fs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      fs.add(one(b, i, i));
    }
    // Eight rows make a full batch: one runner waits for a thread, and later requests still join the queue.
    assertThat(threads).hasSize(1);
    fs.add(submit(b, CallScope.waiting(), List.of("y"), new float[][] {{8, 8}, {9, 9}}));
    assertThat(threads).hasSize(1);
    runThreads();
    assertThat(engineCalls).containsExactly(new long[] {8, 2});
    assertThat(fs.get(8)).isNotDone();

    advanceMicros(DELAY_MICROS);
    runThreads();
    assertThat(engineCalls).hasSize(2);
    assertThat(engineCalls.get(1)).containsExactly(2, 2);
    assertThat(y(fs.get(8))).containsExactly(16f, 16f, 18f, 18f);
    assertThat(fs.get(8).join().get(0).shape()).containsExactly(2, 2);
    assertThat(outcomes).hasSize(9).containsOnly(ModelCalls.Outcome.SUCCEEDED);
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void theQueueDelayFiresAPartialBatch() {
    Batcher b = batcher(8, List.of(4), 16);
    CompletableFuture<List<Tensor>> first = one(b, 1, 2);
    advanceMicros(400);
    CompletableFuture<List<Tensor>> second = submit(b, CallScope.waiting(), List.of("y"), new float[][] {{3, 4}, {5, 6}});
    advanceMicros(DELAY_MICROS - 401);
    assertThat(threads).isEmpty();
    advanceMicros(1);
    assertThat(threads).hasSize(1);
    runThreads();

    assertThat(engineCalls).containsExactly(new long[] {3, 2});
    assertThat(y(first)).containsExactly(2f, 4f);
    assertThat(y(second)).containsExactly(6f, 8f, 10f, 12f);
    BatchStats stats = b.stats();
    assertThat(stats.batches()).isEqualTo(1);
    assertThat(stats.rows()).isEqualTo(3);
    assertThat(stats.jobs()).isEqualTo(2);
    assertThat(stats.queueMicrosTotal()).isEqualTo(DELAY_MICROS + (DELAY_MICROS - 400));
    assertThat(stats.queueMicrosMax()).isEqualTo(DELAY_MICROS);
  }

  @Test
  void requestsWhoseCallerHasGoneAreDroppedAndNeverRun() {
    Batcher b = batcher(8, List.of(), 16);
    AtomicReference<CallAbandonedException.Reason> late = new AtomicReference<>();
    AtomicReference<CallAbandonedException.Reason> cancelled = new AtomicReference<>();
    CompletableFuture<List<Tensor>> expired = submit(b, () -> Optional.ofNullable(late.get()), List.of("y"),
        new float[][] {{1, 1}});
    CompletableFuture<List<Tensor>> kept = one(b, 2, 2);
    CompletableFuture<List<Tensor>> gone = submit(b, () -> Optional.ofNullable(cancelled.get()), List.of("y"),
        new float[][] {{3, 3}});
    late.set(CallAbandonedException.Reason.DEADLINE_EXCEEDED);
    cancelled.set(CallAbandonedException.Reason.CANCELLED);
    advanceMicros(DELAY_MICROS);
    runThreads();

    assertThat(engineCalls).containsExactly(new long[] {1, 2});
    assertThat(y(kept)).containsExactly(4f, 4f);
    assertThatThrownBy(expired::join).cause().isInstanceOfSatisfying(CallAbandonedException.class,
        e -> assertThat(e.reason()).isEqualTo(CallAbandonedException.Reason.DEADLINE_EXCEEDED));
    assertThatThrownBy(gone::join).cause().isInstanceOfSatisfying(CallAbandonedException.class,
        e -> assertThat(e.reason()).isEqualTo(CallAbandonedException.Reason.CANCELLED));
    assertThat(outcomes).containsExactlyInAnyOrder(ModelCalls.Outcome.DROPPED, ModelCalls.Outcome.SUCCEEDED,
        ModelCalls.Outcome.DROPPED);
    assertThat(calls.inFlight()).isZero();
    assertThat(b.stats().jobs()).isEqualTo(1);
  }

  @Test
  void aSweepDropsRequestsWhoseCallerHasGoneBeforeTheirBatchIsDue() {
    Batcher b = batcher(8, List.of(), 16);
    AtomicReference<CallAbandonedException.Reason> gone = new AtomicReference<>();
    CompletableFuture<List<Tensor>> abandoned = submit(b, () -> Optional.ofNullable(gone.get()), List.of("y"),
        new float[][] {{1, 1}});
    CompletableFuture<List<Tensor>> kept = one(b, 2, 2);
    assertThat(b.sweep()).isEqualTo(2);
    gone.set(CallAbandonedException.Reason.DEADLINE_EXCEEDED);

    assertThat(b.sweep()).isEqualTo(1);
    assertThatThrownBy(abandoned::join).cause().isInstanceOfSatisfying(CallAbandonedException.class,
        e -> assertThat(e.reason()).isEqualTo(CallAbandonedException.Reason.DEADLINE_EXCEEDED));
    assertThat(outcomes).containsExactly(ModelCalls.Outcome.DROPPED);
    assertThat(kept).isNotDone();

    advanceMicros(DELAY_MICROS);
    runThreads();
    assertThat(engineCalls).containsExactly(new long[] {1, 2});
    assertThat(y(kept)).containsExactly(4f, 4f);
    assertThat(outcomes).containsExactly(ModelCalls.Outcome.DROPPED, ModelCalls.Outcome.SUCCEEDED);
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void aFullQueueRefusesAsResourceExhaustedAfterMakingRoomFromAbandonedRequests() {
    Batcher b = batcher(8, List.of(), 2);
    AtomicReference<CallAbandonedException.Reason> gone = new AtomicReference<>();
    CompletableFuture<List<Tensor>> abandoned = submit(b, () -> Optional.ofNullable(gone.get()), List.of("y"),
        new float[][] {{1, 1}});
    CompletableFuture<List<Tensor>> second = one(b, 2, 2);
    gone.set(CallAbandonedException.Reason.CANCELLED);
    CompletableFuture<List<Tensor>> third = one(b, 3, 3);
    assertThat(abandoned).isCompletedExceptionally();

    assertThatThrownBy(() -> one(b, 4, 4))
        .isInstanceOfSatisfying(WorkerBusyException.class,
            e -> assertThat(StatusMapper.toStatus(e).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThat(outcomes).containsExactly(ModelCalls.Outcome.DROPPED, ModelCalls.Outcome.REJECTED);

    advanceMicros(DELAY_MICROS);
    runThreads();
    assertThat(y(second)).containsExactly(4f, 4f);
    assertThat(y(third)).containsExactly(6f, 6f);
    assertThat(outcomes).hasSize(4);
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void requestsWhoseShapesDifferPastTheBatchDimensionRunInSeparateBatches() {
    Batcher b = batcher(8, List.of(), 16);
    CompletableFuture<List<Tensor>> narrow1 = one(b, 1, 2);
    CompletableFuture<List<Tensor>> wide = one(b, 1, 2, 3);
    CompletableFuture<List<Tensor>> narrow2 = one(b, 3, 4);
    advanceMicros(DELAY_MICROS);
    runThreads();

    assertThat(engineCalls).containsExactly(new long[] {2, 2}, new long[] {1, 3});
    assertThat(y(narrow1)).containsExactly(2f, 4f);
    assertThat(y(narrow2)).containsExactly(6f, 8f);
    assertThat(y(wide)).containsExactly(2f, 4f, 6f);
    assertThat(outcomes).hasSize(3).containsOnly(ModelCalls.Outcome.SUCCEEDED);
  }

  @Test
  void aBatchComputesTheUnionOfTheOutputsAndEachRequestGetsWhatItAskedFor() {
    Batcher b = batcher(8, List.of(), 16);
    CompletableFuture<List<Tensor>> wantsTotal = submit(b, CallScope.waiting(), List.of("total"),
        new float[][] {{1, 2}, {3, 4}});
    CompletableFuture<List<Tensor>> wantsBoth = submit(b, CallScope.waiting(), List.of("total", "y"),
        new float[][] {{5, 6}});
    CompletableFuture<List<Tensor>> wantsY = one(b, 7, 8);
    advanceMicros(DELAY_MICROS);
    runThreads();

    assertThat(engineOutputs).containsExactly(List.of("y", "total"));
    assertThat(wantsTotal.join()).extracting(Tensor::name).containsExactly("total");
    assertThat(wantsTotal.join().get(0).doubles()).containsExactly(3.0, 7.0);
    assertThat(wantsBoth.join()).extracting(Tensor::name).containsExactly("total", "y");
    assertThat(wantsBoth.join().get(0).doubles()).containsExactly(11.0);
    assertThat(wantsBoth.join().get(1).floats()).containsExactly(10f, 12f);
    assertThat(y(wantsY)).containsExactly(14f, 16f);
  }

  @Test
  void anEngineFailureFailsEveryRequestOfTheBatchOnce() {
    Batcher b = batcher(8, List.of(), 16);
    engineFails = new ModelExecutionException("model scale: TensorFlow failed");
    CompletableFuture<List<Tensor>> a = one(b, 1, 1);
    CompletableFuture<List<Tensor>> c = one(b, 2, 2);
    advanceMicros(DELAY_MICROS);
    runThreads();

    assertThat(engineCalls).hasSize(1);
    assertThatThrownBy(a::join).cause().isSameAs(engineFails);
    assertThatThrownBy(c::join).cause().isSameAs(engineFails);
    assertThat(outcomes).containsExactly(ModelCalls.Outcome.FAILED, ModelCalls.Outcome.FAILED);
    assertThat(calls.inFlight()).isZero();
    assertThat(b.stats().batches()).isZero();
  }

  @Test
  void whenTheThreadsRefuseTheDueBatchIsRefusedTheSameWay() {
    Batcher b = batcher(2, List.of(), 16);
    threadsRefuse = new WorkerBusyException(1, 1);
    CompletableFuture<List<Tensor>> a = one(b, 1, 1);
    CompletableFuture<List<Tensor>> c = one(b, 2, 2);

    assertThatThrownBy(a::join).cause().isSameAs(threadsRefuse);
    assertThatThrownBy(c::join).cause().isSameAs(threadsRefuse);
    assertThat(outcomes).containsExactly(ModelCalls.Outcome.REJECTED, ModelCalls.Outcome.REJECTED);
    assertThat(engineCalls).isEmpty();
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void refuseAllAnswersEveryQueuedRequestAsDraining() {
    Batcher b = batcher(8, List.of(), 16);
    CompletableFuture<List<Tensor>> a = one(b, 1, 1);
    b.refuseAll();
    assertThatThrownBy(a::join).cause().isInstanceOf(WorkerDrainingException.class);
    assertThat(outcomes).containsExactly(ModelCalls.Outcome.REJECTED);
    advanceMicros(DELAY_MICROS);
    runThreads();
    assertThat(engineCalls).isEmpty();
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void batchSizesAreCountedInCumulativeBuckets() {
    Batcher b = batcher(8, List.of(), 16);
    one(b, 1, 1);
    advanceMicros(DELAY_MICROS);
    runThreads();
    for (int i = 0; i < 3; i++) {
      one(b, i, i);
    }
    advanceMicros(DELAY_MICROS);
    runThreads();

    assertThat(b.stats().sizes()).extracting(BatchStats.Bucket::le, BatchStats.Bucket::batches).containsExactly(
        org.assertj.core.groups.Tuple.tuple(1L, 1L), org.assertj.core.groups.Tuple.tuple(2L, 1L),
        org.assertj.core.groups.Tuple.tuple(4L, 2L), org.assertj.core.groups.Tuple.tuple(8L, 2L),
        org.assertj.core.groups.Tuple.tuple(Long.MAX_VALUE, 2L));
    assertThat(b.stats().rows()).isEqualTo(4);
  }
}
