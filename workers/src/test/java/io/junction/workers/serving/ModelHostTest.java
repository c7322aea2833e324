package io.junction.workers.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelConfigException;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.LoadedModel;
import io.junction.workers.runtime.ModelExecutionException;
import io.junction.workers.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's admission, counting, unloading and draining, with a fake engine that can be held
 * mid-call (one thread, one queue slot) and a fake clock. The real engine is covered by the api tests.
 */
class ModelHostTest {
  @TempDir Path repo;
  private final CountDownLatch running = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong clock = new AtomicLong();
  private volatile boolean hold = true;
  private ModelHost host;
  private final List<long[]> engineCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The batching host's queue delays, fired by the test. */
  private final List<Runnable> timers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Echoes x as y, advancing the clock 7 µs; holds inside the call while {@link #hold}. */
  private final class FakeModel implements LoadedModel {
    private final ModelConfig config;

    FakeModel(ModelConfig config) {
      this.config = config;
    }

    @Override
    public ModelConfig config() {
      return config;
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputs) {
      if (hold) {
        running.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      clock.addAndGet(7_000);
      engineCalls.add(inputs.get(0).shape());
      return List.of(inputs.get(0).withName("y"));
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  @BeforeEach
  void start() throws Exception {
    Path dir = repo.resolve("scale");
    Files.createDirectories(dir.resolve("1"));
    Files.writeString(dir.resolve("1/saved_model.pb"), "");
    Files.writeString(dir.resolve("model.yaml"), TestModels.SCALE_YAML);
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    host = new ModelHost(ModelRepository.open(repo), FakeModel::new, cpu, new CpuAffinity("0", 1), 1, 1, clock::get, true,
        BatchTimer.daemonThread());
    hold = false;
    host.load("scale");
    hold = true;
    host.startServing();
  }

  /** A second model folder, {@code name}, with scale's contract and these warm-up samples. */
  private void writeScaleNamed(String name, String warmup) throws Exception {
    Path dir = repo.resolve(name);
    Files.createDirectories(dir.resolve("1"));
    Files.writeString(dir.resolve("1/saved_model.pb"), "");
    String yaml = TestModels.withoutWarmup(TestModels.SCALE_YAML)
        .replace("name: scale", "name: " + name);
    Files.writeString(dir.resolve("model.yaml"), yaml + warmup);
  }

  @AfterEach
  void stop() {
    release.countDown();
    host.close();
  }

  /** A second host whose scale model batches with a 1 s queue delay on the test's clock and timer. */
  private ModelHost batchingHost() throws Exception {
    Path batchingRepo = batchingScale("batching");
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    BatchTimer byHand = new BatchTimer() {
      @Override
      public void schedule(Runnable task, long delayNanos) {
        timers.add(task);
      }

      @Override
      public void close() {}
    };
    ModelHost h = new ModelHost(ModelRepository.open(batchingRepo), FakeModel::new, cpu,
        new CpuAffinity("0", 1), 1, 4, clock::get, true, byHand);
    h.load("scale");
    h.startServing();
    engineCalls.clear(); // the warm-ups of the other host's models: not this test's
    return h;
  }

  /**
   * A repository folder {@code name} holding scale with a batching block (1 s queue delay), and
   * no warm-up: its batches wait for the test's hand-fired timer, which no load would fire.
   */
  private Path batchingScale(String name) throws Exception {
    Path dir = repo.resolve(name + "/scale");
    Files.createDirectories(dir.resolve("1"));
    Files.writeString(dir.resolve("1/saved_model.pb"), "");
    Files.writeString(dir.resolve("model.yaml"),
        TestModels.withoutWarmup(TestModels.SCALE_YAML)
            .replace("max_batch_size: 8", "max_batch_size: 8\nbatching: {max_queue_delay_us: 1000000}"));
    return dir.getParent();
  }

  private void fireTimers() {
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    List<Runnable> due = List.copyOf(timers);
    timers.clear();
    due.forEach(Runnable::run);
  }

  @Test
  void aBatchingModelRunsQueuedRequestsAsOneEngineCallAndCountsEachRequest() throws Exception {
    hold = false;
    try (ModelHost batching = batchingHost()) {
      CompletableFuture<InferResult> a = batching.infer(scale(1, 2), CallScope.waiting());
      CompletableFuture<InferResult> b = batching.infer(scale(3, 4), CallScope.waiting());
      assertThat(batching.queued()).isEqualTo(2);
      fireTimers();

      assertThat(get(a).outputs().get(0).floats()).containsExactly(1f, 2f);
      assertThat(get(b).outputs().get(0).floats()).containsExactly(3f, 4f);
      assertThat(engineCalls).containsExactly(new long[] {2, 2});
      WorkerStats.Model stats = batching.stats().models().get(0);
      assertThat(stats).extracting(WorkerStats.Model::calls, WorkerStats.Model::errors, WorkerStats.Model::rows)
          .containsExactly(2L, 0L, 2L);
      assertThat(stats.batching().orElseThrow().batches()).isEqualTo(1);
      assertThat(batching.stats().inFlight()).isZero();
    }
  }

  @Test
  void requestsWaitingForABatchCountForDrainAndAreRefusedOnClose() throws Exception {
    hold = false;
    ModelHost batching = batchingHost();
    CompletableFuture<InferResult> a = batching.infer(scale(1, 2), CallScope.waiting());
    CompletableFuture<InferResult> b = batching.infer(scale(3, 4), CallScope.waiting());
    assertThat(get(batching.drain(Duration.ofMillis(20)))).isEqualTo(2);
    assertThatThrownBy(() -> batching.infer(scale(5, 6), CallScope.waiting()))
        .isInstanceOf(WorkerDrainingException.class);

    batching.close();
    assertThatThrownBy(() -> get(a)).cause().isInstanceOf(WorkerDrainingException.class);
    assertThatThrownBy(() -> get(b)).cause().isInstanceOf(WorkerDrainingException.class);
    assertThat(engineCalls).isEmpty();
    assertThat(batching.stats().inFlight()).isZero();
  }

  @Test
  void batchingOffServesAModelWithABatchingBlockUnbatched() throws Exception {
    hold = false;
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    try (ModelHost off = new ModelHost(ModelRepository.open(batchingScale("off")), FakeModel::new, cpu,
        new CpuAffinity("0", 1), 1, 4, clock::get, false, BatchTimer.daemonThread())) {
      off.load("scale");
      off.startServing();
      assertThat(get(off.infer(scale(1, 2), CallScope.waiting())).outputs().get(0).floats()).containsExactly(1f, 2f);
      assertThat(off.stats().models().get(0).batching()).isEmpty();
      assertThat(timers).isEmpty();
    }
  }

  private static InferRequest scale(float a, float b) {
    return new InferRequest("scale", "", List.of(Tensor.ofFloats("x", new long[] {1, 2}, a, b)), List.of("y"));
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private WorkerStats.Model scaleStats() {
    return host.stats().models().get(0);
  }

  @Test
  void countsCallsRowsAndEngineTimeOfSuccessfulCalls() throws Exception {
    hold = false;
    InferResult r = get(host.infer(scale(1, 2), CallScope.waiting()));
    assertThat(r.outputs().get(0).floats()).containsExactly(1f, 2f);
    assertThat(scaleStats()).extracting(WorkerStats.Model::calls, WorkerStats.Model::errors,
        WorkerStats.Model::rows, WorkerStats.Model::totalMicros).containsExactly(1L, 0L, 1L, 7L);
  }

  @Test
  void busyAndDroppedCallsCountAsErrorsAndNeverRun() throws Exception {
    CompletableFuture<InferResult> first = host.infer(scale(1, 2), CallScope.waiting());
    running.await(30, TimeUnit.SECONDS);
    AtomicBoolean expired = new AtomicBoolean();
    CompletableFuture<InferResult> late = host.infer(scale(3, 4),
        () -> expired.get() ? Optional.of(CallAbandonedException.Reason.DEADLINE_EXCEEDED) : Optional.empty());
    assertThatThrownBy(() -> host.infer(scale(5, 6), CallScope.waiting()))
        .isInstanceOf(WorkerBusyException.class)
        .hasMessage("worker busy: 1 calls queued (expected: fewer than 1)");
    assertThat(host.stats().inFlight()).isEqualTo(2);
    expired.set(true);
    release.countDown();
    get(first);
    assertThatThrownBy(() -> get(late)).cause().isInstanceOf(CallAbandonedException.class);
    assertThat(scaleStats()).extracting(WorkerStats.Model::calls, WorkerStats.Model::errors, WorkerStats.Model::rows)
        .containsExactly(3L, 2L, 1L);
    assertThat(host.stats().inFlight()).isZero();
  }

  @Test
  void aQueuedCallWhoseCallerGoesLeavesTheQueueWhileTheModelIsStillBusy() throws Exception {
    CompletableFuture<InferResult> first = host.infer(scale(1, 2), CallScope.waiting());
    assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
    AtomicBoolean cancelled = new AtomicBoolean();
    CompletableFuture<InferResult> queued = host.infer(scale(3, 4),
        () -> cancelled.get() ? Optional.of(CallAbandonedException.Reason.CANCELLED) : Optional.empty());
    cancelled.set(true);

    // The only model thread is still held: the queue's sweep, not a thread, answers the call.
    assertThatThrownBy(() -> get(queued)).cause().isInstanceOfSatisfying(CallAbandonedException.class,
        e -> assertThat(e.reason()).isEqualTo(CallAbandonedException.Reason.CANCELLED));
    assertThat(first).isNotDone();
    assertThat(host.queued()).isZero();
    assertThat(host.stats().inFlight()).isEqualTo(1);
    // Its queue place is free again while the first call still runs.
    CompletableFuture<InferResult> next = host.infer(scale(5, 6), CallScope.waiting());
    release.countDown();
    assertThat(get(next).outputs().get(0).floats()).containsExactly(5f, 6f);
    get(first);
    assertThat(scaleStats()).extracting(WorkerStats.Model::calls, WorkerStats.Model::errors, WorkerStats.Model::rows)
        .containsExactly(3L, 1L, 2L);
    assertThat(host.stats().inFlight()).isZero();
  }

  @Test
  void unloadDuringACallFreesTheModelOnlyAfterTheCallEnds() throws Exception {
    CompletableFuture<InferResult> call = host.infer(scale(1, 2), CallScope.waiting());
    running.await(30, TimeUnit.SECONDS);
    host.unload("scale");
    assertThat(closed).isFalse();
    assertThatThrownBy(() -> host.infer(scale(1, 2), CallScope.waiting())).isInstanceOf(ModelNotReadyException.class);
    release.countDown();
    assertThat(get(call).outputs()).hasSize(1);
    assertThat(closed).isTrue();
  }

  @Test
  void drainWaitsForCallsInFlightAndReportsThoseLeftWhenGraceEnds() throws Exception {
    CompletableFuture<InferResult> call = host.infer(scale(1, 2), CallScope.waiting());
    running.await(30, TimeUnit.SECONDS);
    // The call is held until released, so a short grace certainly ends with it still in flight.
    assertThat(get(host.drain(Duration.ofMillis(20)))).isEqualTo(1);
    assertThat(host.isReady()).isFalse();
    assertThat(host.isDraining()).isTrue();
    assertThatThrownBy(() -> host.infer(scale(1, 2), CallScope.waiting())).isInstanceOf(WorkerDrainingException.class);

    CompletableFuture<Integer> second = host.drain(Duration.ofSeconds(30));
    release.countDown();
    get(call);
    assertThat(get(second)).isZero();
  }

  @Test
  void loadRunsEveryWarmupSampleThroughTheCallPathAndCountsThemApartFromUserCalls() {
    // Two samples; with the fake clock every call takes 7 µs, so each runs twice: the second call
    // is no faster than the first, and the warm-up moves on.
    assertThat(scaleStats()).extracting(WorkerStats.Model::ready, WorkerStats.Model::calls, WorkerStats.Model::rows,
        WorkerStats.Model::totalMicros, WorkerStats.Model::warmupCalls, WorkerStats.Model::warmupMicros)
        .containsExactly(true, 0L, 0L, 0L, 4L, 28L);
  }

  @Test
  void aModelIsNotReadyForUsersWhileItWarmsUp() throws Exception {
    writeScaleNamed("slow", "warmup:\n  - {name: one, inputs: {x: {shape: [1, 2], values: [1, 2]}}}\n");
    CompletableFuture<Long> load = CompletableFuture.supplyAsync(() -> host.load("slow"));
    running.await(30, TimeUnit.SECONDS);
    assertThat(host.isModelReady("slow", "")).isFalse();
    assertThat(host.stats().models()).filteredOn(m -> m.name().equals("slow")).singleElement()
        .extracting(WorkerStats.Model::ready).isEqualTo(false);
    InferRequest user = new InferRequest("slow", "", List.of(Tensor.ofFloats("x", new long[] {1, 2}, 1, 2)), List.of());
    assertThatThrownBy(() -> host.infer(user, CallScope.waiting())).isInstanceOf(ModelNotReadyException.class);
    release.countDown();
    get(load);
    assertThat(host.isModelReady("slow", "")).isTrue();
    assertThat(get(host.infer(user, CallScope.waiting())).outputs()).hasSize(1);
  }

  @Test
  void aWarmupSampleThatDoesNotFitTheContractFailsTheLoadBeforeTheEngineLoads() throws Exception {
    writeScaleNamed("bad", "warmup:\n  - {name: wide, inputs: {x: {shape: [1, 3], values: [1, 2, 3]}}}\n");
    AtomicBoolean engineCalled = new AtomicBoolean();
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    try (ModelHost other = new ModelHost(ModelRepository.open(repo), config -> {
      engineCalled.set(true);
      return new FakeModel(config);
    }, cpu, new CpuAffinity("0", 1), 1, 1, clock::get, true, BatchTimer.daemonThread())) {
      assertThatThrownBy(() -> other.load("bad"))
          .isInstanceOf(ModelConfigException.class)
          .hasMessage(repo.resolve("bad/model.yaml").toAbsolutePath()
              + ": warmup[0] (sample \"wide\" of model bad): x.shape[1]: 3 (expected: 2, as in [-1, 2])");
      assertThat(engineCalled).isFalse();
      assertThat(other.loadedModels()).isEmpty();
    }
  }

  @Test
  void aModelThatFailsItsWarmupIsNotLoadedAndIsFreed() throws Exception {
    writeScaleNamed("broken", "warmup:\n  - {name: one, inputs: {x: {shape: [1, 2], values: [1, 2]}}}\n");
    AtomicBoolean brokenClosed = new AtomicBoolean();
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    try (ModelHost other = new ModelHost(ModelRepository.open(repo), config -> new LoadedModel() {
      @Override
      public ModelConfig config() {
        return config;
      }

      @Override
      public List<Tensor> infer(List<Tensor> inputs, List<String> outputs) {
        throw new ModelExecutionException("model broken: TensorFlow failed: boom");
      }

      @Override
      public void close() {
        brokenClosed.set(true);
      }
    }, cpu, new CpuAffinity("0", 1), 1, 1, clock::get, true, BatchTimer.daemonThread())) {
      assertThatThrownBy(() -> other.load("broken"))
          .isInstanceOf(ModelConfigException.class)
          .hasMessageEndingWith("model.yaml: warmup[0] (sample \"one\" of model broken): the model failed: "
              + "model broken: TensorFlow failed: boom");
      assertThat(other.loadedModels()).isEmpty();
      assertThat(brokenClosed).isTrue();
    }
  }
}
