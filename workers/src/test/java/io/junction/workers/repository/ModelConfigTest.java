package io.junction.workers.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.DataType;
import io.junction.workers.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelConfigTest {
  @TempDir Path repo;

  private Path write(String model, String yaml) throws IOException {
    Path dir = repo.resolve(model);
    Files.createDirectories(dir.resolve("1"));
    Files.writeString(dir.resolve("1/saved_model.pb"), "");
    Path file = dir.resolve("model.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void readsEveryFieldOfAValidContract() throws IOException {
    write("ids", TestModels.IDS_YAML);
    ModelConfig c = ModelRepository.open(repo).resolve("ids");
    assertThat(c.name()).isEqualTo("ids");
    assertThat(c.version()).isEqualTo(1);
    assertThat(c.platform()).isEqualTo("tensorflow_savedmodel");
    assertThat(c.maxBatchSize()).isEqualTo(16);
    assertThat(c.inputs()).containsExactly(
        new TensorSpec("user_id", DataType.INT64, List.of(-1L)),
        new TensorSpec("bias", DataType.INT32, List.of(-1L)));
    assertThat(c.outputs()).containsExactly(new TensorSpec("shifted", DataType.INT64, List.of(-1L)));
    assertThat(c.constraints()).containsEntry("user_id", new ValueRange(0, 1999));
    assertThat(c.labels()).containsExactly("a", "b");
    assertThat(c.versionDir()).isEqualTo(repo.resolve("ids/1").toAbsolutePath());
  }

  @Test
  void repositoryListsModelFoldersAndRefusesUnknownNamesAndPaths() throws IOException {
    write("scale", TestModels.SCALE_YAML);
    write("text", TestModels.TEXT_YAML);
    Files.createDirectories(repo.resolve("not-a-model"));
    ModelRepository r = ModelRepository.open(repo);
    assertThat(r.modelNames()).containsExactly("scale", "text");
    assertThatThrownBy(() -> r.resolve("nope"))
        .isInstanceOf(UnknownModelException.class)
        .hasMessage("model: \"nope\" (expected: one of scale, text in the repository " + r.root() + ")");
    assertThatThrownBy(() -> r.resolve("../scale")).isInstanceOf(UnknownModelException.class);
  }

  @Test
  void missingRepositoryIsAConfigError() {
    assertThatThrownBy(() -> ModelRepository.open(repo.resolve("absent")))
        .isInstanceOf(ModelConfigException.class)
        .hasMessageContaining("absent: repository: not a folder");
  }

  static Stream<Arguments> badContracts() {
    String ok = TestModels.IDS_YAML;
    return Stream.of(
        Arguments.of(ok.replace("datatype: INT32", "datatype: FLOAT"),
            "inputs[1].datatype: \"FLOAT\" (expected: one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES)"),
        Arguments.of(ok.replace("name: ids", "name: other"),
            "name: \"other\" (expected: \"ids\", the name of the model's folder)"),
        Arguments.of(ok.replace("version: 1", "version: 2"),
            "version: 2 (expected: a folder "),
        Arguments.of(ok.replace("version: 1", "version: one"),
            "version: \"one\" (expected: an integer)"),
        Arguments.of(ok.replace("platform: tensorflow_savedmodel", "platform: onnx"),
            "platform: \"onnx\" (expected: tensorflow_savedmodel)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 0"),
            "max_batch_size: 0 (expected: >= 1)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_sise: 16"),
            "max_batch_sise: unknown key (expected: one of batching, constraints, inputs, labels, max_batch_size, name, outputs, platform, version)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: {max_queue_delay_us: 100, preferred_batch_sizes: [4, 32]}"),
            "batching.preferred_batch_sizes[1]: 32 (expected: <= max_batch_size 16)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: {max_queue_delay_us: 100, preferred_batch_sizes: [8, 4]}"),
            "batching.preferred_batch_sizes[1]: 4 (expected: > 8: sizes in ascending order, each once)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: {max_queue_delay_us: 100, preferred_batch_sizes: [0]}"),
            "batching.preferred_batch_sizes[0]: 0 (expected: >= 1)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: {max_queue_delay_us: -1}"),
            "batching.max_queue_delay_us: -1 (expected: 0..1000000 microseconds)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: {preferred_batch_sizes: [4]}"),
            "batching.max_queue_delay_us: missing (expected: an integer)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: {max_queue_delay: 100}"),
            "batching.max_queue_delay: unknown key (expected: one of max_queue_delay_us, preferred_batch_sizes)"),
        Arguments.of(ok.replace("max_batch_size: 16", "max_batch_size: 16\nbatching: true"),
            "batching: true (expected: a mapping)"),
        Arguments.of(ok.replace("{name: shifted, datatype: INT64, shape: [-1]}", "{name: shifted, datatype: INT64, shape: [4]}"),
            "outputs[0].shape[0]: 4 (expected: -1: the first dimension is the batch)"),
        Arguments.of(ok.replace("{name: bias, datatype: INT32, shape: [-1]}", "{name: bias, datatype: INT32, shape: [-1, 0]}"),
            "inputs[1].shape[1]: 0 (expected: -1 (any size) or >= 1)"),
        Arguments.of(ok.replace("{name: bias, datatype: INT32, shape: [-1]}", "{name: user_id, datatype: INT32, shape: [-1]}"),
            "inputs[1].name: \"user_id\" (expected: a name not used by another of inputs)"),
        Arguments.of(ok.replace("user_id: {min: 0, max: 1999}", "user_idd: {min: 0, max: 1999}"),
            "constraints: \"user_idd\" (expected: the name of an input: user_id, bias)"),
        Arguments.of(ok.replace("user_id: {min: 0, max: 1999}", "user_id: {min: 5, max: 1}"),
            "constraints.user_id: {min: 5, max: 1} (expected: min <= max)"),
        Arguments.of(ok.replace("outputs:\n  - {name: shifted, datatype: INT64, shape: [-1]}\n", "outputs: []\n"),
            "outputs: [] (expected: a non-empty list of tensors with name, datatype and shape)"),
        Arguments.of("name: [unclosed", "not valid YAML"),
        Arguments.of("- just\n- a list\n", "(document): a list (expected: a mapping)"));
  }

  @ParameterizedTest
  @MethodSource("badContracts")
  void badContractsFailWithFileAndPathInTheMessage(String yaml, String expected) throws IOException {
    Path file = write("ids", yaml);
    ModelRepository r = ModelRepository.open(repo);
    assertThatThrownBy(() -> r.resolve("ids"))
        .isInstanceOf(ModelConfigException.class)
        .hasMessageStartingWith(file.toAbsolutePath() + ": ")
        .hasMessageContaining(expected);
  }

  @Test
  void batchingBlockIsReadAndItsAbsenceMeansNoBatching() throws IOException {
    write("ids", TestModels.IDS_YAML.replace("max_batch_size: 16",
        "max_batch_size: 16\nbatching:\n  max_queue_delay_us: 500\n  preferred_batch_sizes: [4, 16]"));
    write("scale", TestModels.SCALE_YAML);
    ModelRepository r = ModelRepository.open(repo);
    assertThat(r.resolve("ids").batching()).contains(new BatchingConfig(500, List.of(4, 16)));
    assertThat(r.resolve("scale").batching()).isEmpty();
  }

  @Test
  void constraintOnAFloatInputIsRefused() throws IOException {
    Path file = write("scale", TestModels.SCALE_YAML + "constraints:\n  x: {min: 0, max: 1}\n");
    assertThatThrownBy(() -> ModelConfig.read(file))
        .hasMessage(file.toAbsolutePath() + ": constraints.x: on a FP32 input (expected: an input of an integer datatype)");
  }
}
