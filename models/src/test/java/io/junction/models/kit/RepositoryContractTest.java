package io.junction.models.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.models.KitReport;
import io.junction.models.ModelKit;
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
 * The built repository against docs/model-repository.md: every model.yaml states the documented
 * tensors, and every SavedModel's serving_default signature is exactly what its model.yaml says.
 */
class RepositoryContractTest {
  @TempDir
  static Path out;

  static KitReport report;
  static ModelRepository repository;

  @BeforeAll
  static void buildKit() {
    report = ModelKit.build(out, line -> { });
    repository = new ModelRepository(out);
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
  void everyModelYamlStatesTheDocumentedTensors() throws IOException {
    for (var entry : documented().entrySet()) {
      Map<String, Object> yaml = readYaml(entry.getKey());

      assertThat(yaml).as(entry.getKey())
          .containsEntry("name", entry.getKey())
          .containsEntry("version", 1)
          .containsEntry("platform", "tensorflow_savedmodel")
          .containsEntry("max_batch_size", 64);
      assertThat(tensors(yaml.get("inputs"))).as(entry.getKey()).isEqualTo(entry.getValue().get(0));
      assertThat(tensors(yaml.get("outputs"))).as(entry.getKey()).isEqualTo(entry.getValue().get(1));
    }
  }

  @Test
  void userIdsAreConstrainedToKnownUsersAndIntentHasItsLabels() throws IOException {
    Map<String, Object> userRange = Map.of("min", 0, "max", report.recommendation().users() - 1);
    for (String model : List.of("user_tower", "popular", "ranker")) {
      Map<?, ?> constraints = (Map<?, ?>) readYaml(model).get("constraints");
      assertThat(constraints.get("user_id")).as(model).isEqualTo(userRange);
    }
    assertThat(readYaml("intent").get("labels")).isEqualTo(report.conversation().intentLabels());
  }

  @Test
  void everySignatureIsExactlyWhatModelYamlSays() throws IOException {
    for (String model : documented().keySet()) {
      SavedModel saved = SavedModel.parseFrom(Files.readAllBytes(repository.versionDir(model).resolve("saved_model.pb")));
      assertThat(saved.getMetaGraphsCount()).isEqualTo(1);
      MetaGraphDef graph = saved.getMetaGraphs(0);
      assertThat(graph.getMetaInfoDef().getTagsList()).containsExactly("serve");
      SignatureDef signature = graph.getSignatureDefMap().get("serving_default");
      Map<String, Object> yaml = readYaml(model);

      assertThat(describe(signature.getInputsMap())).as(model)
          .containsExactlyInAnyOrderElementsOf(tensors(yaml.get("inputs")));
      assertThat(describe(signature.getOutputsMap())).as(model)
          .containsExactlyInAnyOrderElementsOf(tensors(yaml.get("outputs")));
    }
  }

  private static Map<String, Object> readYaml(String model) throws IOException {
    return new org.yaml.snakeyaml.Yaml().load(Files.readString(repository.modelYaml(model)));
  }

  private static List<String> tensors(Object yamlList) {
    return ((List<?>) yamlList).stream().map(o -> (Map<?, ?>) o)
        .map(t -> t.get("name") + " " + t.get("datatype") + " " + t.get("shape"))
        .toList();
  }

  private static List<String> describe(Map<String, TensorInfo> signature) {
    return signature.entrySet().stream()
        .map(e -> e.getKey() + " " + datatype(e.getValue()) + " "
            + e.getValue().getTensorShape().getDimList().stream().map(dim -> dim.getSize()).toList())
        .toList();
  }

  private static String datatype(TensorInfo info) {
    return switch (info.getDtype()) {
      case DT_STRING -> "BYTES";
      case DT_FLOAT -> "FP32";
      case DT_INT32 -> "INT32";
      case DT_INT64 -> "INT64";
      default -> info.getDtype().toString();
    };
  }
}
