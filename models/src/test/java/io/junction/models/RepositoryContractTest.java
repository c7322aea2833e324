package io.junction.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.junction.models.tf.GraphModel;
import io.junction.tensor.DataType;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.repository.ValueRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        "intent BYTES [-1]", "confidence FP32 [-1]", "probabilities FP32 [-1, " + c + "]")));
    m.put("responder", List.of(List.of("intent_id INT64 [-1]", "context INT64 [-1, 2]"),
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
        entry("intent_id", new ValueRange(0, intents - 1)), entry("context", new ValueRange(0, vocabulary - 1)));
    assertThat(repository.resolve("intent").labels()).isEqualTo(report.conversation().intentLabels());
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
