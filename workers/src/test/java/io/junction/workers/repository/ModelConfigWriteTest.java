package io.junction.workers.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.DataType;
import io.junction.workers.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer side of model.yaml: {@link ModelConfig#toYaml()} and {@link ModelConfig#write()}. */
class ModelConfigWriteTest {
  private static final Set<DataType> INTEGER_TYPES = Set.of(DataType.INT8, DataType.INT16, DataType.INT32,
      DataType.INT64, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64);

  @TempDir Path repo;

  /** The contract's version folder with an (empty) saved_model.pb, which read() insists on. */
  private Path versionDir(String model, long version) throws IOException {
    Path dir = ModelRepository.open(repo).versionDir(model, version);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("saved_model.pb"), "");
    return dir;
  }

  private static TensorSpec tensor(String name, DataType type, Long... shape) {
    return new TensorSpec(name, type, List.of(shape));
  }

  @Test
  void toYamlIsTheDocumentedFormatKeyForKey() throws IOException {
    Map<String, ValueRange> constraints = new LinkedHashMap<>();
    constraints.put("user_id", new ValueRange(0, 1999));
    constraints.put("candidates", new ValueRange(0, 999));
    ModelConfig ranker = new ModelConfig("ranker", 1, ModelConfig.PLATFORM_TENSORFLOW, 64,
        Optional.of(new BatchingConfig(250, List.of(8, 64))),
        List.of(tensor("user_id", DataType.INT64, -1L), tensor("candidates", DataType.INT64, -1L, -1L)),
        List.of(tensor("items", DataType.INT64, -1L, 50L), tensor("scores", DataType.FP32, -1L, 50L)),
        constraints, List.of("book_flight", "yes"), versionDir("ranker", 1));

    assertThat(ranker.toYaml()).isEqualTo("""
        name: ranker
        version: 1
        platform: tensorflow_savedmodel
        max_batch_size: 64
        batching:
          max_queue_delay_us: 250
          preferred_batch_sizes: [8, 64]
        inputs:
          - name: user_id
            datatype: INT64
            shape: [-1]
          - name: candidates
            datatype: INT64
            shape: [-1, -1]
        outputs:
          - name: items
            datatype: INT64
            shape: [-1, 50]
          - name: scores
            datatype: FP32
            shape: [-1, 50]
        constraints:
          user_id: {min: 0, max: 1999}
          candidates: {min: 0, max: 999}
        labels: [book_flight, "yes"]
        """);
  }

  @Test
  void constraintsAndLabelsAreLeftOutWhenEmpty() throws IOException {
    ModelConfig scale = new ModelConfig("scale", 1, ModelConfig.PLATFORM_TENSORFLOW, 8, Optional.empty(),
        List.of(tensor("x", DataType.FP32, -1L, 2L)), List.of(tensor("y", DataType.FP32, -1L, 2L)),
        Map.of(), List.of(), versionDir("scale", 1));

    assertThat(scale.toYaml()).doesNotContain("constraints").doesNotContain("labels");
    assertThat(ModelConfig.read(scale.write())).isEqualTo(scale);
  }

  @Test
  void writeGoesBesideTheVersionFolderAndReadsBackEqual() throws IOException {
    Map<String, ValueRange> constraints = new LinkedHashMap<>();
    constraints.put("context", new ValueRange(Long.MIN_VALUE, Long.MAX_VALUE));
    constraints.put("intent_id", new ValueRange(-3, -3));
    ModelConfig responder = new ModelConfig("responder", 7, ModelConfig.PLATFORM_TENSORFLOW, Integer.MAX_VALUE,
        Optional.of(new BatchingConfig(0, List.of())),
        List.of(tensor("intent_id", DataType.INT64, -1L), tensor("context", DataType.UINT16, -1L, 2L, -1L)),
        List.of(tensor("next_token", DataType.BYTES, -1L), tensor("flag", DataType.BOOL, -1L, 1L)),
        constraints, List.of("a", "b"), versionDir("responder", 7));

    Path file = responder.write();

    assertThat(file).isEqualTo(repo.resolve("responder/model.yaml").toAbsolutePath()).isRegularFile();
    assertThat(file).isEqualTo(responder.modelYaml());
    ModelConfig back = ModelConfig.read(file);
    assertThat(back).isEqualTo(responder);
    assertThat(back.constraints().keySet()).containsExactly("context", "intent_id");
    assertThat(back.toYaml()).isEqualTo(Files.readString(file));
  }

  @Test
  void stringsYamlWouldReadAsSomethingElseAreQuotedAndReadBackEqual() throws IOException {
    List<String> tricky = List.of("yes", "No", "ON", "y", "null", "Null", "~", "123", "-1", "1.5", "1e3", "0x1F",
        "0o17", ".inf", "-.inf", ".nan", "2001-12-14", "1:20", "1_000", "=", "<<", "_", "a: b", "a #b", "# c",
        " leading", "trailing ", "tab\there", "line\nbreak", "cr\rlf", "quote\"d", "back\\slash", "'single'",
        "[x]", "{y}", "*alias", "&anchor", "!tag", "%dir", "@at", "`tick", "- dash", "? key", "|", ">", "é",
        "emoji \uD83D\uDE00", "nel\u0085", "ls\u2028ps\u2029", "del\u007f", "bell\u0007", "bom\uFEFF", "nbsp\u00a0", ",", "a,b");
    ModelConfig m = new ModelConfig("m", 1, ModelConfig.PLATFORM_TENSORFLOW, 4, Optional.empty(),
        List.of(tensor("in: put", DataType.INT32, -1L), tensor("42", DataType.FP32, -1L)),
        List.of(tensor("true", DataType.BYTES, -1L)),
        Map.of("in: put", new ValueRange(1, 2)), tricky, versionDir("m", 1));

    ModelConfig back = ModelConfig.read(m.write());

    assertThat(back).isEqualTo(m);
    assertThat(back.labels()).containsExactlyElementsOf(tricky);
  }

  @Test
  void handWrittenContractsRewriteToEqualValues() throws IOException {
    for (var e : Map.of("ids", TestModels.IDS_YAML, "scale", TestModels.SCALE_YAML,
        "text", TestModels.TEXT_YAML).entrySet()) {
      versionDir(e.getKey(), 1);
      Path file = ModelRepository.open(repo).modelYaml(e.getKey());
      Files.writeString(file, e.getValue());
      ModelConfig handWritten = ModelConfig.read(file);

      Path rewritten = handWritten.write();

      assertThat(rewritten).isEqualTo(file);
      assertThat(Files.readString(rewritten)).as(e.getKey()).isNotEqualTo(e.getValue()); // block style now
      assertThat(ModelConfig.read(rewritten)).as(e.getKey()).isEqualTo(handWritten);
    }
  }

  @Test
  void seededRandomContractsReadBackEqual() throws IOException {
    Random random = new Random(20240611L);
    DataType[] types = DataType.values();
    for (int n = 0; n < 150; n++) {
      String name = "model_" + n;
      long version = 1 + random.nextInt(3);
      List<TensorSpec> inputs = randomTensors(random, types, "in");
      Map<String, ValueRange> constraints = new LinkedHashMap<>();
      for (TensorSpec t : inputs) {
        if (INTEGER_TYPES.contains(t.datatype()) && random.nextBoolean()) {
          long a = random.nextLong();
          long b = random.nextBoolean() ? a : random.nextLong();
          constraints.put(t.name(), new ValueRange(Math.min(a, b), Math.max(a, b)));
        }
      }
      List<String> labels = new ArrayList<>();
      for (int i = random.nextInt(4); i > 0; i--) {
        labels.add(randomString(random));
      }
      int maxBatch = 1 + random.nextInt(Integer.MAX_VALUE);
      Optional<BatchingConfig> batching = Optional.empty();
      if (random.nextBoolean()) {
        List<Integer> preferred = new ArrayList<>();
        for (int size = 1 + random.nextInt(4); size <= maxBatch && random.nextBoolean(); size *= 2) {
          preferred.add(size);
        }
        batching = Optional.of(new BatchingConfig(random.nextInt(1_000_001), preferred));
      }
      ModelConfig config = new ModelConfig(name, version, ModelConfig.PLATFORM_TENSORFLOW, maxBatch, batching,
          inputs, randomTensors(random, types, "out"), constraints, labels, versionDir(name, version));

      assertThat(ModelConfig.read(config.write())).as(config.toYaml()).isEqualTo(config);
    }
  }

  @Test
  void writeRefusesAVersionDirThatReadWouldNotFind() throws IOException {
    Path elsewhere = versionDir("other", 1);
    ModelConfig misplaced = new ModelConfig("m", 1, ModelConfig.PLATFORM_TENSORFLOW, 4, Optional.empty(),
        List.of(tensor("x", DataType.FP32, -1L)), List.of(tensor("y", DataType.FP32, -1L)),
        Map.of(), List.of(), elsewhere);

    assertThatThrownBy(misplaced::write)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("versionDir: " + elsewhere + " (expected: <repository>/m/1)");
    assertThat(repo.resolve("other/model.yaml")).doesNotExist();
  }

  @Test
  void repositoryLayoutRefusesPathsForNames() {
    ModelRepository r = ModelRepository.open(repo);

    assertThat(r.versionDir("intent", 3)).isEqualTo(repo.toAbsolutePath().resolve("intent/3"));
    assertThat(r.modelYaml("intent")).isEqualTo(repo.toAbsolutePath().resolve("intent/model.yaml"));
    assertThatThrownBy(() -> r.modelDir("../intent"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model: \"../intent\" (expected: a folder name, not a path)");
  }

  private static List<TensorSpec> randomTensors(Random random, DataType[] types, String prefix) {
    List<TensorSpec> tensors = new ArrayList<>();
    for (int i = 1 + random.nextInt(4); i > 0; i--) {
      List<Long> shape = new ArrayList<>(List.of(-1L));
      for (int d = random.nextInt(4); d > 0; d--) {
        shape.add(random.nextBoolean() ? -1L : 1 + (long) random.nextInt(1 << 20));
      }
      String name = random.nextBoolean() ? prefix + "_" + i : randomString(random) + i;
      tensors.add(new TensorSpec(name, types[random.nextInt(types.length)], shape));
    }
    return tensors;
  }

  /** A non-blank string over letters, digits, YAML indicators, escapes and wide characters. */
  private static String randomString(Random random) {
    String alphabet = "aZ_09.-:#,[]{}&*!|>'\"%@` \t\n\\yesnoULL~é\u0085\u00a0\u2028\u007f\u0001";
    StringBuilder s = new StringBuilder("x".repeat(random.nextInt(2)));
    for (int i = 1 + random.nextInt(8); i > 0; i--) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    if (random.nextInt(8) == 0) {
      s.append("\uD83D\uDE00");
    }
    return s.toString().isBlank() ? s + "k" : s.toString();
  }

  @Test
  void warmupSamplesAreWrittenCompactlyAndReadBackEqual() throws IOException {
    float[] sparse = new float[20];
    sparse[2] = 0.30151135f;
    sparse[19] = -1.0E-7f;
    ModelConfig m = new ModelConfig("m", 1, ModelConfig.PLATFORM_TENSORFLOW, 8,
        List.of(tensor("text", DataType.BYTES, -1L), tensor("x", DataType.FP32, -1L, -1L),
            tensor("d", DataType.FP64, -1L), tensor("id", DataType.INT64, -1L)),
        List.of(tensor("y", DataType.FP32, -1L)), Map.of(), List.of(), versionDir("m", 1),
        List.of(new WarmupSample("one", List.of(
            io.junction.tensor.Tensor.ofStrings("text", new long[] {2}, List.of("yes", "say \"hi\"\n")),
            io.junction.tensor.Tensor.ofFloats("x", new long[] {1, 20}, sparse),
            io.junction.tensor.Tensor.ofDoubles("d", new long[] {2}, Double.NEGATIVE_INFINITY, 1.0E21),
            io.junction.tensor.Tensor.ofLongs("id", new long[] {2}, Long.MIN_VALUE, 0)))));

    assertThat(m.toYaml()).endsWith("""
        warmup:
          - name: one
            inputs:
              text: {shape: [2], values: ["yes", "say \\"hi\\"\\n"]}
              x: {shape: [1, 20], fill: 0, at: {2: 0.30151135, 19: -1.0E-7}}
              d: {shape: [2], values: [-.inf, 1.0E+21]}
              id: {shape: [2], values: [-9223372036854775808, 0]}
        """);
    assertThat(ModelConfig.read(m.write())).isEqualTo(m);
  }
}
