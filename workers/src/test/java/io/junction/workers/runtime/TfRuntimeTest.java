package io.junction.workers.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfRuntimeTest {
  @TempDir static Path repoDir;
  @TempDir static Path scratch;
  static ModelRepository repo;
  static ModelLoader loader;
  static LoadedModel scale;
  static LoadedModel text;
  static LoadedModel ids;

  @BeforeAll
  static void load() {
    TestModels.buildRepository(repoDir);
    repo = ModelRepository.open(repoDir);
    loader = ModelLoader.tensorFlow(DeviceSelection.choose(DeviceRequest.CPU, false, GpuProbe.cuda()), 2);
    scale = loader.load(repo.resolve("scale"));
    text = loader.load(repo.resolve("text"));
    ids = loader.load(repo.resolve("ids"));
  }

  @AfterAll
  static void close() {
    for (LoadedModel m : new LoadedModel[] {scale, text, ids}) {
      if (m != null) {
        m.close();
      }
    }
  }

  @Test
  void scaleDoublesFloatsAndSumsRowsAsDoubles() {
    List<Tensor> out = scale.infer(
        List.of(Tensor.ofFloats("x", new long[] {2, 2}, 1f, 2f, 3f, 4.5f)), List.of("total", "y"));
    assertThat(out).extracting(Tensor::name).containsExactly("total", "y");
    assertThat(out.get(0).shape()).containsExactly(2);
    assertThat(out.get(0).doubles()).containsExactly(3.0, 7.5);
    assertThat(out.get(1).shape()).containsExactly(2, 2);
    assertThat(out.get(1).floats()).containsExactly(2f, 4f, 6f, 9f);
  }

  @Test
  void stringsRoundTripAsUtf8() {
    List<Tensor> out = text.infer(
        List.of(Tensor.ofStrings("text", new long[] {3}, List.of("Hello World", "", "ÄBC"))), List.of("lower", "length"));
    assertThat(out.get(0).strings()).containsExactly("hello world", "", "Äbc");
    assertThat(out.get(1).ints()).containsExactly(11, 0, 4);
  }

  @Test
  void aModelWhoseSignatureFixesAnOutputsFirstDimensionCannotBatch() {
    Path batching = scratch.resolve("summed-batching");
    TestModels.buildSummed(batching, TestModels.SUMMED_YAML);
    ModelRepository r = ModelRepository.open(batching);
    assertThatThrownBy(() -> loader.load(r.resolve("summed")))
        .isInstanceOf(ModelLoadException.class)
        .hasMessage(r.resolve("summed").modelYaml() + ": batching: output sum has first dimension 1 in the "
            + "serving_default signature (expected: -1, the batch, as the first dimension of every output of a "
            + "model that batches; remove the batching block otherwise)");

    Path plain = scratch.resolve("summed-plain");
    TestModels.buildSummed(plain, TestModels.SUMMED_YAML.replace("batching: {max_queue_delay_us: 100}\n", ""));
    try (LoadedModel unbatched = loader.load(ModelRepository.open(plain).resolve("summed"))) {
      assertThat(unbatched.config().batching()).isEmpty();
    }
  }

  @Test
  void inputsAreMatchedByNameNotPosition() {
    List<Tensor> out = ids.infer(List.of(
        Tensor.ofLongs("user_id", new long[] {2}, 7, 1999),
        Tensor.ofInts("bias", new long[] {2}, 3, -1)), List.of("shifted"));
    assertThat(out.get(0).longs()).containsExactly(67, 19991);
  }

  @Test
  void predictorsAreReusedAcrossThreads() throws Exception {
    Thread[] threads = new Thread[4];
    float[][] results = new float[threads.length][];
    for (int i = 0; i < threads.length; i++) {
      int k = i;
      threads[i] = new Thread(() -> {
        for (int n = 0; n < 20; n++) {
          results[k] = scale.infer(List.of(Tensor.ofFloats("x", new long[] {1, 2}, k, n)), List.of("y")).get(0).floats();
        }
      });
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    for (int i = 0; i < threads.length; i++) {
      assertThat(results[i]).containsExactly(2f * i, 38f);
    }
  }

  @Test
  void modelYamlThatDisagreesWithTheSignatureFailsToLoad() throws Exception {
    Path bad = scratch.resolve("mismatch");
    Path dir = bad.resolve("scale");
    Files.createDirectories(dir);
    copyTree(repoDir.resolve("scale/1"), dir.resolve("1"));
    Files.writeString(dir.resolve("model.yaml"), TestModels.withoutWarmup(TestModels.SCALE_YAML).replace("name: x,", "name: z,"));
    ModelConfig config = ModelRepository.open(bad).resolve("scale");
    assertThatThrownBy(() -> loader.load(config))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("inputs: z is in model.yaml but not in the serving_default signature (expected: one of x)");

    Files.writeString(dir.resolve("model.yaml"), TestModels.withoutWarmup(TestModels.SCALE_YAML)
        .replace("name: x, datatype: FP32, shape: [-1, 2]", "name: x, datatype: FP32, shape: [-1, 3]"));
    ModelConfig wrongDim = ModelRepository.open(bad).resolve("scale");
    assertThat(wrongDim.inputs().get(0).shape()).containsExactly(-1L, 3L);
    assertThatThrownBy(() -> loader.load(wrongDim))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("x.shape[1]: 3 (expected: 2 as the signature says)");
  }

  @Test
  void unsupportedDatatypeInModelYamlFailsToLoad() throws Exception {
    Path bad = scratch.resolve("bool");
    Path dir = bad.resolve("scale");
    Files.createDirectories(dir);
    copyTree(repoDir.resolve("scale/1"), dir.resolve("1"));
    Files.writeString(dir.resolve("model.yaml"), TestModels.SCALE_YAML.replace("datatype: FP64", "datatype: BOOL"));
    ModelConfig config = ModelRepository.open(bad).resolve("scale");
    assertThatThrownBy(() -> loader.load(config))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("total.datatype: BOOL (expected: one of INT32, INT64, FP32, FP64, BYTES");
  }

  static void copyTree(Path from, Path to) throws Exception {
    try (var walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
