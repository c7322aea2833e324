package io.junction.engine;

import static io.junction.engine.Specs.bind;
import static io.junction.engine.Specs.out;
import static io.junction.engine.Specs.sig;
import static io.junction.engine.Specs.step;
import static io.junction.engine.Specs.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.FakeModels.Call;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code loop.iteration}: a loop that tells its model which call of the loop it is. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LoopIterationTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);

  /** A decoder whose step input is INT64 [-1]: it answers 10 + step, and EOS (2) at step 3. */
  static final ModelSignature STEPPER = sig("stepper",
      List.of(t("context", DataType.INT64, -1, 2), t("step", DataType.INT64, -1)),
      List.of(t("next_id", DataType.INT64, -1)));
  /** The same with an INT32 [-1, 1] step input. */
  private static final ModelSignature STEPPER32 = sig("stepper32",
      List.of(t("context", DataType.INT64, -1, 2), t("step", DataType.INT32, -1, 1)),
      List.of(t("next_id", DataType.INT64, -1)));

  LoopIterationTest() {
    models.add(STEPPER, FakeModels.answer(c -> next(c.input("step").longs()[0])))
        .add(STEPPER32, FakeModels.answer(c -> next(c.input("step").ints()[0])));
  }

  static List<Tensor> next(long step) {
    return List.of(Tensor.ofLongs("next_id", new long[] {1}, step == 3 ? 2 : 10 + step));
  }

  /** A pipeline of one loop of {@code model}, the pipeline {@code decode}; StepLimitTest counts its steps too. */
  static PipelineSpec decode(String model, Optional<String> iteration, StepSpec.Binding... inputs) {
    return new PipelineSpec("decode", List.of(t("seed", DataType.INT64, 1)), List.of(out("ids", "reply.next_id")),
        List.of(step("reply", new StepSpec.Loop(model, List.of(inputs), new StepSpec.Feedback("context", "next_id", 2, 1),
            List.of("next_id"), Optional.of(new StepSpec.Until("next_id", "2")), 24, iteration))));
  }

  private PipelineResult run(PipelineSpec spec) throws Exception {
    return CompiledPipelines.compile(List.of(spec), models.signatures(), models, time)
        .run("decode", List.of(Tensor.ofLongs("seed", new long[] {1}, 7)), RunOptions.DEFAULT,
            CompiledPipelines.NO_DEADLINE, IterationListener.NONE).get();
  }

  @Test
  void eachCallOfTheLoopGetsItsIterationNumberFromZero() throws Exception {
    PipelineResult r = run(decode("stepper", Optional.of("step")));

    assertThat(r.output("ids").longs()).containsExactly(10, 11, 12);
    assertThat(models.calls("stepper")).extracting(c -> c.input("step"))
        .extracting(Tensor::datatype, t -> Arrays.toString(t.shape()), t -> t.longs()[0])
        .containsExactly(org.assertj.core.groups.Tuple.tuple(DataType.INT64, "[1]", 0L),
            org.assertj.core.groups.Tuple.tuple(DataType.INT64, "[1]", 1L),
            org.assertj.core.groups.Tuple.tuple(DataType.INT64, "[1]", 2L),
            org.assertj.core.groups.Tuple.tuple(DataType.INT64, "[1]", 3L));
  }

  @Test
  void anInt32InputOfShapeMinusOneByOneGetsTheNumberAsItsDatatypeAndShape() throws Exception {
    PipelineResult r = run(decode("stepper32", Optional.of("step")));

    assertThat(r.output("ids").longs()).containsExactly(10, 11, 12);
    List<Call> calls = models.calls("stepper32");
    assertThat(calls).extracting(c -> c.input("step").datatype()).containsOnly(DataType.INT32);
    assertThat(calls).extracting(c -> Arrays.toString(c.input("step").shape())).containsOnly("[1, 1]");
    assertThat(calls).extracting(c -> c.input("step").ints()[0]).containsExactly(0, 1, 2, 3);
  }

  @Test
  void aModelInputTheLoopDoesNotFeedIsNotFedWithoutIt() {
    assertThatThrownBy(() -> run(decode("stepper", Optional.empty())))
        .isInstanceOf(PipelineConfigException.class)
        .hasMessage("pipeline decode, step reply: loop.inputs.step: not fed (expected: a reference for model stepper's "
            + "input step INT64 [-1])");
  }

  @Test
  void theIterationInputMustBeAnIntegerInputWithOneElementThatNothingElseFeeds() {
    Map<String, ModelSignature> sigs = Map.of("stepper", STEPPER, "responder", Specs.RESPONDER);
    assertThatThrownBy(() -> PipelineCompiler.compileOne(decode("stepper", Optional.of("position")), sigs))
        .hasMessage("pipeline decode, step reply: loop.iteration: \"position\" (expected: an input of model stepper: "
            + "context, step)");
    assertThatThrownBy(() -> PipelineCompiler.compileOne(decode("stepper", Optional.of("context")), sigs))
        .hasMessage("pipeline decode, step reply: loop.iteration: context (expected: another input than the feedback's)");
    assertThatThrownBy(() -> PipelineCompiler.compileOne(
        decode("stepper", Optional.of("step"), bind("step", "input.seed")), sigs))
        .hasMessage("pipeline decode, step reply: loop.inputs.step: fed twice (by the loop's iteration number too)"
            + " (expected: each model input fed once)");
    PipelineSpec responder = new PipelineSpec("decode", List.of(t("intent_id", DataType.INT64, 1)),
        List.of(out("ids", "reply.next_id")),
        List.of(step("reply", new StepSpec.Loop("responder", List.of(), new StepSpec.Feedback("context", "next_id", 2, 1),
            List.of("next_id"), Optional.empty(), 4, Optional.of("intent_id")))));
    ModelSignature floats = sig("responder", List.of(t("intent_id", DataType.FP32, -1), t("context", DataType.INT64, -1, 2)),
        Specs.RESPONDER.outputs());
    assertThatThrownBy(() -> PipelineCompiler.compileOne(responder, Map.of("responder", floats)))
        .hasMessage("pipeline decode, step reply: loop.iteration: model responder's input intent_id is FP32 [-1]"
            + " (expected: INT32 or INT64 of shape [-1] or [-1, 1], one number a call)");
  }

  @Test
  void aFusedLoopsIterationInputSurvivesThePlansWireForm() {
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), Specs.demoModels(), models, time,
        Placement.of(model -> "g", model -> true));
    assertThat(p.segmentPlans()).hasSize(1);
    SegmentPlan plan = p.segmentPlans().get(0);
    assertThat(PlanCodec.toMessage(plan).getSteps(2).getLoop().getIterationInput()).isEqualTo("iteration");
    assertThat(PlanCodec.fromMessage(PlanCodec.toMessage(plan), "g")).isEqualTo(plan);
  }
}
