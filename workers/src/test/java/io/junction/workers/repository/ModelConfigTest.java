package io.junction.workers.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
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
            "max_batch_sise: unknown key (expected: one of batching, constraints, inputs, labels, max_batch_size, name, outputs, platform, version, warmup)"),
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

  @Test
  void warmupSamplesBecomeTensorsOfEveryInputInContractOrder() throws IOException {
    write("ids", TestModels.withoutWarmup(TestModels.IDS_YAML) + """
        warmup:
          - name: one
            inputs:
              bias: {shape: [1], values: [7]}
              user_id: {shape: [1], values: [42]}
          - name: "two rows"
            inputs:
              user_id: {shape: [2], fill: 0, at: {1: 1999}}
              bias: {shape: [2], fill: -1}
        """);
    write("text", TestModels.TEXT_YAML);
    write("scale", TestModels.SCALE_YAML);
    ModelRepository r = ModelRepository.open(repo);
    ModelConfig ids = r.resolve("ids");
    assertThat(ids.warmup()).extracting(WarmupSample::name).containsExactly("one", "two rows");
    assertThat(ids.warmup().get(0).inputs()).containsExactly(
        Tensor.ofLongs("user_id", new long[] {1}, 42), Tensor.ofInts("bias", new long[] {1}, 7));
    assertThat(ids.warmup().get(1).inputs()).containsExactly(
        Tensor.ofLongs("user_id", new long[] {2}, 0, 1999), Tensor.ofInts("bias", new long[] {2}, -1, -1));
    assertThat(r.resolve("text").warmup().get(0).inputs())
        .containsExactly(Tensor.ofStrings("text", new long[] {2}, List.of("Hello World", "yes")));
    assertThat(r.resolve("scale").warmup().get(1).inputs().get(0).floats())
        .containsExactly(0f, 0f, 0f, 0.25f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
  }

  static Stream<Arguments> badWarmups() {
    String sample = "  - name: s\n    inputs:\n";
    String both = "      user_id: {shape: [1], values: [1]}\n      bias: {shape: [1], values: [1]}\n";
    return Stream.of(
        Arguments.of("warmup: []\n", "warmup: [] (expected: a non-empty list of samples with name and inputs)"),
        Arguments.of("warmup:\n  - inputs: {}\n", "warmup[0].name: missing (expected: a non-empty string)"),
        Arguments.of("warmup:\n" + sample + both + sample + both,
            "warmup[1].name: \"s\" (expected: a name not used by another warm-up sample)"),
        Arguments.of("warmup:\n" + sample + "      user_id: {shape: [1], values: [1]}\n",
            "warmup[0].inputs.bias: missing (expected: every input of the model: user_id, bias)"),
        Arguments.of("warmup:\n" + sample + both + "      age: {shape: [1], values: [1]}\n",
            "warmup[0].inputs.age: not an input of the model (expected: one of user_id, bias)"),
        Arguments.of("warmup:\n" + sample + both.replace("values: [1]}\n      bias", "values: [1, 2]}\n      bias"),
            "warmup[0].inputs.user_id.values: 2 values (expected: 1, the element count of shape [1])"),
        Arguments.of("warmup:\n" + sample + both.replace("shape: [1], values: [1]}\n      bias", "shape: [0], values: []}\n      bias"),
            "warmup[0].inputs.user_id.shape[0]: 0 (expected: >= 1)"),
        Arguments.of("warmup:\n" + sample + both.replace("values: [1]}\n      bias", "values: [1], fill: 1}\n      bias"),
            "warmup[0].inputs.user_id: both values and fill (expected: values (every element, row-major) or fill"),
        Arguments.of("warmup:\n" + sample + both.replace("values: [1]}\n      bias", "values: [one]}\n      bias"),
            "warmup[0].inputs.user_id.values[0]: \"one\" (expected: an integer of 64 bits at most)"),
        Arguments.of("warmup:\n" + sample + both.replace("bias: {shape: [1], values: [1]}", "bias: {shape: [1], values: [3000000000]}"),
            "warmup[0].inputs.bias.values[0]: 3000000000 (expected: an INT32 value)"),
        Arguments.of("warmup:\n" + sample + both.replace("values: [1]}\n      bias", "fill: 0, at: {5: 1}}\n      bias"),
            "warmup[0].inputs.user_id.at: index 5 (expected: 0..0, a flat index into shape [1])"),
        Arguments.of("warmup:\n" + sample + both.replace("shape: [1], values: [1]}\n      bias", "shape: [5000000], fill: 0}\n      bias"),
            "warmup[0].inputs.user_id.shape: [5000000] (expected: at most 4194304 elements in a sample)"),
        Arguments.of("warmup:\n" + sample + both.replace("shape: [1], values: [1]}\n      bias", "shape: [4611686018427387904, 4], fill: 0}\n      bias"),
            "warmup[0].inputs.user_id.shape: [4611686018427387904, 4] (expected: at most 4194304 elements in a sample)"),
        Arguments.of("warmup:\n" + sample + both.replace("values: [1]}\n      bias", "values: [1], size: 2}\n      bias"),
            "warmup[0].inputs.user_id.size: unknown key (expected: one of at, fill, shape, values)"));
  }

  @ParameterizedTest
  @MethodSource("badWarmups")
  void badWarmupSamplesFailWithFileAndPathInTheMessage(String warmup, String expected) throws IOException {
    Path file = write("ids", TestModels.withoutWarmup(TestModels.IDS_YAML) + warmup);
    assertThatThrownBy(() -> ModelConfig.read(file))
        .isInstanceOf(ModelConfigException.class)
        .hasMessageStartingWith(file.toAbsolutePath() + ": " + expected);
  }

  @Test
  void textSamplesMustBeTextAndCannotBeFilled() throws IOException {
    String contract = TestModels.withoutWarmup(TestModels.TEXT_YAML);
    Path file = write("text", contract + "warmup:\n  - {name: s, inputs: {text: {shape: [2], values: [hi, yes]}}}\n");
    assertThatThrownBy(() -> ModelConfig.read(file)).hasMessage(file.toAbsolutePath()
        + ": warmup[0].inputs.text.values[1]: true (expected: text (quote it if YAML would read it as a number or a boolean))");
    Files.writeString(file, contract + "warmup:\n  - {name: s, inputs: {text: {shape: [2], fill: hi}}}\n");
    assertThatThrownBy(() -> ModelConfig.read(file)).hasMessage(file.toAbsolutePath()
        + ": warmup[0].inputs.text.fill: on a BYTES input (expected: values: the text of every element)");
  }
}
