package io.junction.engine;

import static io.junction.engine.Specs.bind;
import static io.junction.engine.Specs.model;
import static io.junction.engine.Specs.out;
import static io.junction.engine.Specs.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pipeline inputs with a default: a caller may leave them out, and the run gets the default. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class InputDefaultsTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);

  /** Echoes its two inputs, to show what the pipeline gave it. */
  private static final ModelSignature ECHO = Specs.sig("echo",
      List.of(t("text", DataType.BYTES, -1), t("scale", DataType.FP32, -1)),
      List.of(t("text_out", DataType.BYTES, -1), t("scale_out", DataType.FP32, -1)));

  InputDefaultsTest() {
    models.add(ECHO, FakeModels.answer(c -> List.of(c.input("text").withName("text_out"),
        c.input("scale").withName("scale_out"))));
  }

  private static PipelineSpec echo(Map<String, Tensor> defaults) {
    return new PipelineSpec("echo", List.of(t("text", DataType.BYTES, 1), t("scale", DataType.FP32, 1)),
        List.of(out("text", "echo.text_out"), out("scale", "echo.scale_out")),
        List.of(model("echo", "echo", bind("text", "input.text"), bind("scale", "input.scale"))), true, defaults);
  }

  private static Tensor scale(float v) {
    return Tensor.ofFloats("scale", new long[] {1}, v);
  }

  private static Tensor text(String s) {
    return Tensor.ofStrings("text", new long[] {1}, List.of(s));
  }

  private PipelineResult run(PipelineSpec spec, Tensor... inputs) throws Exception {
    return CompiledPipelines.compile(List.of(spec), models.signatures(), models, time)
        .run("echo", List.of(inputs), RunOptions.DEFAULT, CompiledPipelines.NO_DEADLINE, IterationListener.NONE).get();
  }

  @Test
  void anInputLeftOutGetsItsDefaultAndAGivenOneIsUsedAsGiven() throws Exception {
    PipelineSpec spec = echo(Map.of("scale", scale(0.5f)));

    assertThat(run(spec, text("a")).output("scale").floats()).containsExactly(0.5f);
    assertThat(run(spec, text("b"), scale(2f)).output("scale").floats()).containsExactly(2f);
  }

  @Test
  void anInputWithoutADefaultIsStillRequiredAndTheMessageNamesTheOptionalOnes() {
    PipelineSpec spec = echo(Map.of("scale", scale(0.5f)));

    assertThatThrownBy(() -> run(spec, scale(1f)))
        .hasCauseInstanceOf(PipelineInputException.class)
        .cause().hasMessage("text: missing (expected inputs: text BYTES [1], scale FP32 [1] (optional))");
  }

  @Test
  void aDefaultMustBeOfADeclaredInputAndFitItsDatatypeAndShape() {
    Map<String, ModelSignature> sigs = Map.of("echo", ECHO);
    assertThatThrownBy(() -> PipelineCompiler.compileOne(echo(Map.of("speed", scale(1f))), sigs))
        .isInstanceOf(PipelineConfigException.class)
        .hasMessage("pipeline echo: inputs: default for speed (expected: a default of a declared input: text, scale)");
    assertThatThrownBy(() -> PipelineCompiler.compileOne(echo(Map.of("scale",
        Tensor.ofDoubles("scale", new long[] {1}, 1.0))), sigs))
        .hasMessage("pipeline echo: inputs.scale.default: FP64 [1] (expected: FP32 [1], the input's own datatype and shape)");
    assertThatThrownBy(() -> PipelineCompiler.compileOne(echo(Map.of("scale",
        Tensor.ofFloats("scale", new long[] {2}, 1f, 2f))), sigs))
        .hasMessage("pipeline echo: inputs.scale.default: FP32 [2] (expected: FP32 [1], the input's own datatype and shape)");
  }
}
