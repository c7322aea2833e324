package io.junction.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.tensor.Tensor;
import io.junction.workers.repository.BatchingConfig;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.runtime.ModelLoader;
import io.junction.workers.serving.BatchStats;
import io.junction.workers.serving.BatchTimer;
import io.junction.workers.serving.CallScope;
import io.junction.workers.serving.InferRequest;
import io.junction.workers.serving.InferResult;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.WorkerStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo models served through a batching {@link ModelHost} answer every request exactly as
 * the same models answer it alone (a host with batching off). So that the batches really form,
 * whatever the machine's speed, the batching host runs on a clock and timer of the test's: its
 * model.yaml files are rewritten with a long queue delay, every request is queued, and then the
 * delay is let pass by hand; the batch statistics then prove how the requests were grouped.
 */
class BatchedServingTest {
  private static final long DELAY_MICROS = 1_000_000;
  private static final List<String> MODELS = List.of("featurizer", "intent", "ranker");

  @TempDir
  static Path repo;

  private static final AtomicLong clock = new AtomicLong();
  private static final List<Runnable> timers = new ArrayList<>();
  private static ModelHost batching;
  private static ModelHost alone;

  @BeforeAll
  static void start() {
    ModelKit.build(repo, line -> { });
    ModelRepository repository = ModelRepository.open(repo);
    for (String model : MODELS) {
      ModelConfig c = repository.resolve(model);
      new ModelConfig(c.name(), c.version(), c.platform(), c.maxBatchSize(),
          Optional.of(new BatchingConfig(DELAY_MICROS, List.of())), c.inputs(), c.outputs(), c.constraints(),
          c.labels(), c.versionDir()).write();
    }
    DeviceSelection cpu = DeviceSelection.choose(DeviceRequest.CPU, false, GpuProbe.cuda());
    CpuAffinity affinity = CpuAffinity.current();
    ModelLoader loader = ModelLoader.tensorFlow(cpu, affinity.count());
    BatchTimer byHand = new BatchTimer() {
      @Override
      public void schedule(Runnable task, long delayNanos) {
        synchronized (timers) {
          timers.add(task);
        }
      }

      @Override
      public void close() {}
    };
    batching = new ModelHost(repository, loader, cpu, affinity, 2, 64, clock::get, true, byHand);
    alone = new ModelHost(repository, loader, cpu, affinity, 2, 64, System::nanoTime, false,
        BatchTimer.daemonThread());
    for (String model : MODELS) {
      batching.load(model);
      alone.load(model);
    }
    batching.startServing();
    alone.startServing();
  }

  @AfterAll
  static void stop() {
    if (batching != null) {
      batching.close();
    }
    if (alone != null) {
      alone.close();
    }
  }

  /** Queues every request on the batching host, lets the queue delay pass, and compares each answer. */
  private static void assertBatchedEqualsAlone(List<InferRequest> requests) throws Exception {
    List<CompletableFuture<InferResult>> batched = new ArrayList<>();
    for (InferRequest r : requests) {
      batched.add(batching.infer(r, CallScope.waiting()));
    }
    assertThat(batched).noneMatch(CompletableFuture::isDone);
    clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(DELAY_MICROS));
    List<Runnable> due;
    synchronized (timers) {
      due = new ArrayList<>(timers);
      timers.clear();
    }
    due.forEach(Runnable::run);
    for (int i = 0; i < requests.size(); i++) {
      InferResult expected = alone.infer(requests.get(i), CallScope.waiting()).get(30, TimeUnit.SECONDS);
      InferResult actual = batched.get(i).get(30, TimeUnit.SECONDS);
      assertThat(actual.outputs()).as("request %d", i).isEqualTo(expected.outputs());
    }
  }

  private static BatchStats stats(String model) {
    return batching.stats().models().stream().filter(m -> m.name().equals(model)).findFirst()
        .flatMap(WorkerStats.Model::batching).orElseThrow();
  }

  @Test
  void featurizerBatchesStringRequestsOfDifferentSizes() throws Exception {
    List<InferRequest> requests = List.of(
        text("Book a flight to Paris"),
        text("hello there", "", "Wie wird das Wetter in München?"),
        text("cancel my booking please", "?!"));
    BatchStats before = stats("featurizer");
    assertBatchedEqualsAlone(requests);
    BatchStats after = stats("featurizer");
    assertThat(after.batches() - before.batches()).isEqualTo(1);
    assertThat(after.rows() - before.rows()).isEqualTo(6);
    assertThat(after.jobs() - before.jobs()).isEqualTo(3);
  }

  @Test
  void intentBatchesRequestsAskingForDifferentOutputs() throws Exception {
    Random random = new Random(7);
    List<InferRequest> requests = List.of(
        features(random, 1, List.of("intent")),
        features(random, 4, List.of("probabilities", "intent_id")),
        features(random, 2, List.of()));
    BatchStats before = stats("intent");
    assertBatchedEqualsAlone(requests);
    assertThat(stats("intent").batches() - before.batches()).isEqualTo(1);
  }

  @Test
  void rankerBatchesOnlyRequestsWithTheSameCandidateWidth() throws Exception {
    Random random = new Random(11);
    List<InferRequest> requests = List.of(
        ranker(random, 2, 250),
        ranker(random, 1, 100),
        ranker(random, 3, 250),
        ranker(random, 1, 100),
        ranker(random, 1, 37));
    BatchStats before = stats("ranker");
    assertBatchedEqualsAlone(requests);
    BatchStats after = stats("ranker");
    assertThat(after.batches() - before.batches()).isEqualTo(3);
    assertThat(after.jobs() - before.jobs()).isEqualTo(5);
    assertThat(after.rows() - before.rows()).isEqualTo(8);
  }

  private static InferRequest text(String... texts) {
    return new InferRequest("featurizer", "", List.of(Tensor.ofStrings("text", new long[] {texts.length},
        List.of(texts))), List.of());
  }

  private static InferRequest features(Random random, int rows, List<String> outputs) {
    float[] v = new float[rows * 2048];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextFloat() < 0.01f ? random.nextFloat() : 0f;
    }
    return new InferRequest("intent", "", List.of(Tensor.ofFloats("features", new long[] {rows, 2048}, v)), outputs);
  }

  private static InferRequest ranker(Random random, int rows, int width) {
    long[] users = new long[rows];
    float[] embedding = new float[rows * 32];
    long[] candidates = new long[rows * width];
    for (int i = 0; i < rows; i++) {
      users[i] = random.nextInt(2000);
    }
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < candidates.length; i++) {
      candidates[i] = random.nextInt(1000);
    }
    return new InferRequest("ranker", "", List.of(
        Tensor.ofLongs("user_id", new long[] {rows}, users),
        Tensor.ofFloats("embedding", new long[] {rows, 32}, embedding),
        Tensor.ofLongs("candidates", new long[] {rows, width}, candidates)), List.of());
  }
}
