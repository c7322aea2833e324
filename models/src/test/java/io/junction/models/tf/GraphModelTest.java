package io.junction.models.tf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.DataType;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelConfigException;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.repository.ValueRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * What {@link GraphModel#export} writes as model.yaml, and that the worker's reader checks it at
 * export: a contract a worker would refuse never leaves the kit.
 */
class GraphModelTest {
  @TempDir Path out;

  @BeforeAll
  static void startTensorFlow() {
    TensorFlowRuntime.start();
  }

  @Test
  void exportWritesTheDeclaredContractAsTheWorkerReadsIt() throws Exception {
    ModelRepository repository = ModelRepository.open(out);
    Files.createDirectories(out.resolve("unrelated"));
    ModelConfig exported;
    try (GraphModel model = new GraphModel("shift")) {
      Placeholder<TInt64> ids = model.input("ids", TInt64.class, -1);
      Placeholder<TString> text = model.input("text", TString.class, -1, 3);
      model.output("shifted", model.tf().math.add(ids, model.weight("by", new long[] {7}, 1)), -1);
      model.output("lower", model.tf().strings.lower(text), -1, 3);
      model.constrain("ids", -5, 5);
      model.labels(List.of("no", "a b"));
      exported = model.export(repository);
    }

    ModelConfig read = repository.resolve("shift");
    assertThat(read).isEqualTo(exported);
    assertThat(read.versionDir()).isEqualTo(repository.versionDir("shift", GraphModel.VERSION));
    assertThat(read.maxBatchSize()).isEqualTo(GraphModel.MAX_BATCH_SIZE);
    assertThat(read.inputs()).containsExactly(
        new TensorSpec("ids", DataType.INT64, List.of(-1L)), new TensorSpec("text", DataType.BYTES, List.of(-1L, 3L)));
    assertThat(read.outputs()).containsExactly(
        new TensorSpec("shifted", DataType.INT64, List.of(-1L)),
        new TensorSpec("lower", DataType.BYTES, List.of(-1L, 3L)));
    assertThat(read.constraints()).isEqualTo(Map.of("ids", new ValueRange(-5, 5)));
    assertThat(read.labels()).containsExactly("no", "a b");
    assertThat(out.resolve("unrelated")).isDirectory();
  }

  @Test
  void aFixedBatchDimensionFailsTheExportWithTheReadersMessage() {
    ModelRepository repository = ModelRepository.open(out);
    try (GraphModel model = new GraphModel("fixed")) {
      Placeholder<TFloat32> x = model.input("x", TFloat32.class, 1, 4);
      model.output("y", model.tf().identity(x), -1, 4);

      assertThatThrownBy(() -> model.export(repository))
          .isInstanceOf(ModelConfigException.class)
          .hasMessage(repository.modelYaml("fixed") + ": inputs[0].shape[0]: 1 (expected: -1: the first dimension is"
              + " the batch)");
    }
  }

  @Test
  void aConstraintOnAFloatInputFailsTheExportWithTheReadersMessage() {
    ModelRepository repository = ModelRepository.open(out);
    try (GraphModel model = new GraphModel("scores")) {
      Placeholder<TFloat32> x = model.input("x", TFloat32.class, -1);
      model.output("y", model.tf().identity(x), -1);
      model.constrain("x", 0, 1);

      assertThatThrownBy(() -> model.export(repository))
          .isInstanceOf(ModelConfigException.class)
          .hasMessage(repository.modelYaml("scores")
              + ": constraints.x: on a FP32 input (expected: an input of an integer datatype)");
    }
  }
}
