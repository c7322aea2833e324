package io.junction.models.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelContractTest {
  private static final ModelContract RANKER_LIKE = new ModelContract("ranker", 1, 64,
      List.of(TensorSpec.of("user_id", DataType.INT64, -1), TensorSpec.of("candidates", DataType.INT64, -1, -1)),
      List.of(TensorSpec.of("items", DataType.INT64, -1, 50)),
      Map.of("user_id", new ValueRange(0, 1999)),
      List.of());

  @Test
  void yamlReadsBackAsTheDocumentedStructure() {
    Map<String, Object> yaml = new org.yaml.snakeyaml.Yaml().load(RANKER_LIKE.toYaml());

    assertThat(yaml.keySet()).containsExactly(
        "name", "version", "platform", "max_batch_size", "inputs", "outputs", "constraints");
    assertThat(yaml).containsEntry("name", "ranker").containsEntry("version", 1)
        .containsEntry("platform", "tensorflow_savedmodel").containsEntry("max_batch_size", 64);
    assertThat(yaml.get("inputs")).isEqualTo(List.of(
        Map.of("name", "user_id", "datatype", "INT64", "shape", List.of(-1)),
        Map.of("name", "candidates", "datatype", "INT64", "shape", List.of(-1, -1))));
    assertThat(yaml.get("constraints")).isEqualTo(Map.of("user_id", Map.of("min", 0, "max", 1999)));
  }

  @Test
  void yamlUsesFlowStyleForShapesAndRanges() {
    assertThat(RANKER_LIKE.toYaml())
        .contains("    shape: [-1, -1]\n")
        .contains("  user_id: {min: 0, max: 1999}\n");
  }

  @Test
  void labelsAreWrittenOnlyWhenPresentAndQuotedWhenNeeded() {
    ModelContract withLabels = new ModelContract("intent", 1, 64, List.of(TensorSpec.of("x", DataType.FP32, -1)),
        List.of(TensorSpec.of("y", DataType.FP32, -1)), Map.of(), List.of("book_flight", "yes", "a: b"));

    Map<String, Object> yaml = new org.yaml.snakeyaml.Yaml().load(withLabels.toYaml());

    assertThat(yaml.get("labels")).isEqualTo(List.of("book_flight", "yes", "a: b"));
    assertThat(RANKER_LIKE.toYaml()).doesNotContain("labels");
  }

  @Test
  void constraintOnAnUnknownInputIsRejected() {
    assertThatThrownBy(() -> new ModelContract("m", 1, 64, List.of(TensorSpec.of("x", DataType.INT64, -1)),
        List.of(), Map.of("user_id", new ValueRange(0, 1)), List.of()))
        .hasMessageContaining("m.constraints.user_id");
  }

  @Test
  void batchDimensionMustBeDynamic() {
    assertThatThrownBy(() -> TensorSpec.of("features", DataType.FP32, 1, 2048))
        .hasMessageContaining("features.shape: [1, 2048] (expected: first dimension -1)");
  }
}
