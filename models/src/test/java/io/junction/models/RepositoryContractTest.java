package io.junction.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.junction.models.tf.GraphModel;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.repository.ValueRange;
import io.junction.workers.repository.WarmupSample;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.runtime.ModelLoader;
import io.junction.workers.serving.CallScope;
import io.junction.workers.serving.InferRequest;
import io.junction.workers.serving.BatchTimer;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.WorkerStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.framework.MetaGraphDef;
import org.tensorflow.proto.framework.SavedModel;
import org.tensorflow.proto.framework.SignatureDef;
import org.tensorflow.proto.framework.TensorInfo;

/**
 * The built repository against docs/model-repository.md, read as a worker reads it (through
 * {@link ModelRepository#resolve}): every model.yaml states the documented tensors, and every
 * SavedModel's serving_default signature is exactly what its model.yaml says.
 */
class RepositoryContractTest {
  @TempDir
  static Path out;

  static KitReport report;
  static ModelRepository repository;

  @BeforeAll
  static void buildKit() {
    report = ModelKit.build(out, line -> { });
    repository = ModelRepository.open(out);
  }

  /** The table of docs/model-repository.md, with C, V and D filled in from this build. */
  private static Map<String, List<List<String>>> documented() {
    long c = report.conversation().intentLabels().size();
    long v = report.conversation().vocabularySize();
    long d = report.recommendation().embeddingDim();
    Map<String, List<List<String>>> m = new LinkedHashMap<>();
    m.put("featurizer", List.of(List.of("text BYTES [-1]"), List.of("features FP32 [-1, 2048]")));
    m.put("intent", List.of(List.of("features FP32 [-1, 2048]"), List.of("intent_id INT64 [-1]",
        "intent BYTES [-1]", "confidence FP32 [-1]", "probabilities FP32 [-1, " + c + "]", "followup FP32 [-1]")));
    m.put("session_intent", List.of(
        List.of("intent_id INT64 [-1]", "confidence FP32 [-1]", "followup FP32 [-1]", "previous_intent BYTES [-1]"),
        List.of("intent_id INT64 [-1]", "intent BYTES [-1]", "confidence FP32 [-1]")));
    m.put("responder", List.of(List.of("intent_id INT64 [-1]", "context INT64 [-1, 2]", "temperature FP32 [-1]",
        "top_k INT32 [-1]", "seed INT64 [-1]", "iteration INT64 [-1]"),
        List.of("scores FP32 [-1, " + v + "]", "next_id INT64 [-1]", "next_token BYTES [-1]")));
    m.put("user_tower", List.of(List.of("user_id INT64 [-1]"), List.of("embedding FP32 [-1, " + d + "]")));
    m.put("retrieval", List.of(List.of("embedding FP32 [-1, " + d + "]"),
        List.of("items INT64 [-1, 200]", "scores FP32 [-1, 200]")));
    m.put("popular", List.of(List.of("user_id INT64 [-1]"), List.of("items INT64 [-1, 50]", "scores FP32 [-1, 50]")));
    m.put("ranker", List.of(
        List.of("user_id INT64 [-1]", "embedding FP32 [-1, " + d + "]", "candidates INT64 [-1, -1]"),
        List.of("items INT64 [-1, 50]", "scores FP32 [-1, 50]")));
    return m;
  }

  @Test
  void theRepositoryHoldsExactlyTheDocumentedModels() {
    assertThat(repository.modelNames()).containsExactlyInAnyOrderElementsOf(documented().keySet());
  }

  @Test
  void everyModelYamlStatesTheDocumentedTensors() {
    for (var entry : documented().entrySet()) {
      ModelConfig config = repository.resolve(entry.getKey());

      assertThat(config.name()).isEqualTo(entry.getKey());
      assertThat(config.version()).as(entry.getKey()).isEqualTo(1);
      assertThat(config.platform()).as(entry.getKey()).isEqualTo(ModelConfig.PLATFORM_TENSORFLOW);
      assertThat(config.maxBatchSize()).as(entry.getKey()).isEqualTo(64);
      assertThat(config.batching()).as(entry.getKey()).isEqualTo(GraphModel.BATCHING).isPresent();
      assertThat(describe(config.inputs())).as(entry.getKey()).isEqualTo(entry.getValue().get(0));
      assertThat(describe(config.outputs())).as(entry.getKey()).isEqualTo(entry.getValue().get(1));
    }
  }

  @Test
  void idsAreConstrainedToWhatExistsAndIntentHasItsLabels() {
    ValueRange users = new ValueRange(0, report.recommendation().users() - 1);
    for (String model : List.of("user_tower", "popular", "ranker")) {
      assertThat(repository.resolve(model).constraints()).as(model).containsEntry("user_id", users);
    }
    assertThat(repository.resolve("ranker").constraints())
        .containsEntry("candidates", new ValueRange(0, report.recommendation().items() - 1));
    long intents = report.conversation().intentLabels().size();
    long vocabulary = report.conversation().vocabularySize();
    assertThat(repository.resolve("responder").constraints()).containsExactly(
        entry("intent_id", new ValueRange(0, intents - 1)), entry("context", new ValueRange(0, vocabulary - 1)),
        entry("top_k", new ValueRange(0, Integer.MAX_VALUE)), entry("iteration", new ValueRange(0, Long.MAX_VALUE)));
    assertThat(repository.resolve("intent").labels()).isEqualTo(report.conversation().intentLabels());
    assertThat(repository.resolve("session_intent").labels()).isEqualTo(report.conversation().intentLabels());
    assertThat(repository.resolve("session_intent").constraints())
        .containsExactly(entry("intent_id", new ValueRange(0, intents - 1)));
  }

  @Test
  void everyModelYamlIsExactlyWhatItsContractWrites() throws IOException {
    for (String model : documented().keySet()) {
      ModelConfig config = repository.resolve(model);

      assertThat(Files.readString(repository.modelYaml(model))).as(model).isEqualTo(config.toYaml());
    }
  }

  @Test
  void everySignatureIsExactlyWhatModelYamlSays() throws IOException {
    for (String model : documented().keySet()) {
      ModelConfig config = repository.resolve(model);
      SavedModel saved = SavedModel.parseFrom(Files.readAllBytes(config.versionDir().resolve("saved_model.pb")));
      assertThat(saved.getMetaGraphsCount()).isEqualTo(1);
      MetaGraphDef graph = saved.getMetaGraphs(0);
      assertThat(graph.getMetaInfoDef().getTagsList()).containsExactly("serve");
      SignatureDef signature = graph.getSignatureDefMap().get("serving_default");

      assertThat(describeSignature(signature.getInputsMap())).as(model)
          .containsExactlyInAnyOrderElementsOf(describe(config.inputs()));
      assertThat(describeSignature(signature.getOutputsMap())).as(model)
          .containsExactlyInAnyOrderElementsOf(describe(config.outputs()));
    }
  }

  @Test
  void everyModelHasARealSampleOfOneRowAndOneOfABatch() {
    for (String model : documented().keySet()) {
      List<WarmupSample> samples = repository.resolve(model).warmup();
      assertThat(samples).as(model).extracting(WarmupSample::name).containsExactly("single", "batch_8");
      assertThat(samples).as(model).extracting(s -> s.inputs().get(0).dim(0)).containsExactly(1L, 8L);
    }
    List<String> texts = repository.resolve("featurizer").warmup().get(1).inputs().get(0).strings();
    assertThat(texts).doesNotHaveDuplicates().allMatch(t -> t.split(" ").length >= 2);
    // Real text featurizes to unit rows, never to the zero vector of text without words.
    float[] features = repository.resolve("intent").warmup().get(1).inputs().get(0).floats();
    for (int row = 0; row < 8; row++) {
      double norm = 0;
      for (int i = row * 2048; i < (row + 1) * 2048; i++) {
        norm += features[i] * features[i];
      }
      assertThat(norm).as("row %d", row).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  /**
   * What a worker does with the samples at start: the host checks each against the contract as it
   * checks a request, and runs it through its call path; every demo model loads, answers its
   * warm-up, and counts none of it as user calls. The intent samples are the featurizer's own
   * output for the featurizer's texts, so the conversation samples are one real request.
   */
  @Test
  void everyModelPassesItsOwnRequestChecksAndAnswersItsWarmupInTheWorker() throws Exception {
    CpuAffinity cpus = CpuAffinity.current();
    DeviceSelection cpu = DeviceSelection.choose(DeviceRequest.CPU, false, GpuProbe.cuda());
    try (ModelHost host = new ModelHost(repository, ModelLoader.tensorFlow(cpu, 1), cpu, cpus, 1, 16,
        System::nanoTime, true, BatchTimer.daemonThread())) {
      for (String model : documented().keySet()) {
        host.load(model);
      }
      host.startServing();
      for (WorkerStats.Model m : host.stats().models()) {
        assertThat(m.ready()).as(m.name()).isTrue();
        assertThat(m.warmupCalls()).as(m.name()).isGreaterThanOrEqualTo(2);
        assertThat(m.calls()).as(m.name()).isZero();
      }
      WarmupSample texts = repository.resolve("featurizer").warmup().get(1);
      Tensor features = host.infer(new InferRequest("featurizer", "", texts.inputs(), List.of()), CallScope.waiting())
          .get(60, TimeUnit.SECONDS).outputs().get(0);
      float[] sample = repository.resolve("intent").warmup().get(1).inputs().get(0).floats();
      assertThat(features.floats()).containsExactly(sample, org.assertj.core.data.Offset.offset(1e-6f));

      // session_intent's sample is the intent model's answer to its sample, as a conversation
      // through the warm-up texts: no previous intent, then each text's intent before it.
      WarmupSample intentSample = repository.resolve("intent").warmup().get(1);
      List<Tensor> intent = host.infer(new InferRequest("intent", "", intentSample.inputs(), List.of()),
          CallScope.waiting()).get(60, TimeUnit.SECONDS).outputs();
      Map<String, Tensor> byName = new LinkedHashMap<>();
      intent.forEach(t -> byName.put(t.name(), t));
      WarmupSample session = repository.resolve("session_intent").warmup().get(1);
      assertThat(session.inputs().get(0).longs()).containsExactly(byName.get("intent_id").longs());
      assertThat(session.inputs().get(1).floats())
          .containsExactly(byName.get("confidence").floats(), org.assertj.core.data.Offset.offset(1e-6f));
      assertThat(session.inputs().get(2).floats())
          .containsExactly(byName.get("followup").floats(), org.assertj.core.data.Offset.offset(1e-6f));
      List<String> previous = session.inputs().get(3).strings();
      assertThat(previous.get(0)).isEmpty();
      assertThat(previous.subList(1, 8)).isSubsetOf(report.conversation().intentLabels());
    }
  }

  private static List<String> describe(List<TensorSpec> tensors) {
    return tensors.stream().map(t -> t.name() + " " + t.datatype() + " " + t.shape()).toList();
  }

  private static List<String> describeSignature(Map<String, TensorInfo> signature) {
    return signature.entrySet().stream()
        .map(e -> e.getKey() + " " + datatype(e.getValue()) + " "
            + e.getValue().getTensorShape().getDimList().stream().map(dim -> dim.getSize()).toList())
        .toList();
  }

  private static DataType datatype(TensorInfo info) {
    return switch (info.getDtype()) {
      case DT_STRING -> DataType.BYTES;
      case DT_FLOAT -> DataType.FP32;
      case DT_INT32 -> DataType.INT32;
      case DT_INT64 -> DataType.INT64;
      default -> throw new AssertionError("unexpected dtype " + info.getDtype());
    };
  }
}
