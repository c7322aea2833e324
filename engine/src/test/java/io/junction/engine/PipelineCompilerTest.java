package io.junction.engine;

import static io.junction.engine.Specs.bind;
import static io.junction.engine.Specs.chat;
import static io.junction.engine.Specs.model;
import static io.junction.engine.Specs.out;
import static io.junction.engine.Specs.recommend;
import static io.junction.engine.Specs.replace;
import static io.junction.engine.Specs.step;
import static io.junction.engine.Specs.t;
import static io.junction.engine.Specs.withSteps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.ModelSignature;
import io.junction.engine.StepSpec.Case;
import io.junction.engine.StepSpec.Feedback;
import io.junction.engine.StepSpec.Loop;
import io.junction.engine.StepSpec.Merge;
import io.junction.engine.StepSpec.Switch;
import io.junction.engine.StepSpec.Until;
import io.junction.tensor.DataType;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PipelineCompilerTest {

  private static Map<String, ModelSignature> models() {
    Map<String, ModelSignature> m = new HashMap<>(Specs.demoModels());
    // A model whose output has the wrong datatype and one of the wrong rank for `intent`'s input.
    m.put("int_features", Specs.sig("int_features", List.of(t("text", DataType.BYTES, -1)),
        List.of(t("features", DataType.INT64, -1, 2048))));
    m.put("flat_features", Specs.sig("flat_features", List.of(t("text", DataType.BYTES, -1)),
        List.of(t("features", DataType.FP32, -1))));
    m.put("small_features", Specs.sig("small_features", List.of(t("text", DataType.BYTES, -1)),
        List.of(t("features", DataType.FP32, -1, 1024))));
    m.put("echo", Specs.sig("echo", List.of(t("x", DataType.FP32, -1, 2048)), List.of(t("x", DataType.FP32, -1, 2048))));
    m.put("int_popular", Specs.sig("int_popular", List.of(t("user_id", DataType.INT64, -1)),
        List.of(t("items", DataType.INT32, -1, 50))));
    m.put("ragged_popular", Specs.sig("ragged_popular", List.of(t("user_id", DataType.INT64, -1)),
        List.of(t("items", DataType.INT64, 2, 50))));
    return m;
  }

  private static PipelineSpec chatWith(String step, StepSpec with) {
    return withSteps(chat(), replace(chat().steps(), step, with));
  }

  private static PipelineSpec recommendWith(String step, StepSpec with) {
    return withSteps(recommend(), replace(recommend().steps(), step, with));
  }

  private static StepSpec loop(Loop loop) {
    return step("reply", loop);
  }

  /** A loop over the responder with {@code inputs} and the chat pipeline's decoding inputs; it feeds the iteration. */
  private static Loop replyLoop(List<StepSpec.Binding> inputs, Feedback fb, List<String> collect, Optional<Until> until) {
    List<StepSpec.Binding> all = new ArrayList<>(inputs);
    all.addAll(Specs.DECODING);
    return new Loop("responder", all, fb, collect, until, 24, Optional.of("iteration"));
  }

  private static final List<StepSpec.Binding> INTENT_ID = List.of(bind("intent_id", "classify.intent_id"));
  private static final Feedback FEEDBACK = new Feedback("context", "next_id", 2, 1);

  static Stream<Arguments> badPipelines() {
    List<StepSpec> cyclic = new ArrayList<>(chat().steps());
    cyclic.set(0, model("featurize", "featurizer", bind("text", "reply.next_token")));
    return Stream.of(
        Arguments.of("a cycle", withSteps(chat(), cyclic),
            "pipeline chat: steps form a cycle: featurize -> classify -> reply -> featurize"
                + " (expected: each step to use only earlier steps' outputs)"),
        Arguments.of("an unknown model", chatWith("classify", model("classify", "intnet", bind("features", "featurize.features"))),
            "pipeline chat, step classify: model: \"intnet\" (expected: a model of some pool: echo, featurizer,"
                + " flat_features, int_features, int_popular, intent, popular, ragged_popular, ranker, responder,"
                + " retrieval, session_intent, small_features, user_tower)"),
        Arguments.of("an unknown step", chatWith("classify", model("classify", "intent", bind("features", "featurise.features"))),
            "pipeline chat, step classify: inputs.features: \"featurise.features\" (expected: input.<name> or"
                + " <step>.<output> with step one of: featurize, classify, reply)"),
        Arguments.of("an unknown tensor of a step",
            chatWith("classify", model("classify", "intent", bind("features", "featurize.featurs"))),
            "pipeline chat, step classify: inputs.features: \"featurize.featurs\" (expected: an output of step"
                + " featurize: features)"),
        Arguments.of("an unknown pipeline input", chatWith("featurize", model("featurize", "featurizer", bind("text", "input.txt"))),
            "pipeline chat, step featurize: inputs.text: \"input.txt\" (expected: a pipeline input: text, temperature, top_k, seed)"),
        Arguments.of("a model input left unfed", chatWith("classify", model("classify", "intent")),
            "pipeline chat, step classify: inputs.features: not fed (expected: a reference for model intent's"
                + " input features FP32 [-1, 2048])"),
        Arguments.of("a model input fed twice", chatWith("classify", model("classify", "intent",
                bind("features", "featurize.features"), bind("features", "featurize.features"))),
            "pipeline chat, step classify: inputs.features: fed twice (expected: each model input fed once)"),
        Arguments.of("a model input that does not exist", chatWith("classify", model("classify", "intent",
                bind("features", "featurize.features"), bind("feature", "featurize.features"))),
            "pipeline chat, step classify: inputs.feature: not an input of model intent (expected one of: features)"),
        Arguments.of("a datatype mismatch", chatWith("featurize", model("featurize", "int_features", bind("text", "input.text"))),
            "pipeline chat, step classify: inputs.features: featurize.features is INT64 (expected: FP32,"
                + " model intent's input features)"),
        Arguments.of("a rank mismatch", chatWith("featurize", model("featurize", "flat_features", bind("text", "input.text"))),
            "pipeline chat, step classify: inputs.features: featurize.features has shape [-1] (expected: [-1, 2048],"
                + " model intent's input features; -1 matches any size)"),
        Arguments.of("a known dimension mismatch",
            chatWith("featurize", model("featurize", "small_features", bind("text", "input.text"))),
            "pipeline chat, step classify: inputs.features: featurize.features has shape [-1, 1024] (expected:"
                + " [-1, 2048], model intent's input features; -1 matches any size)"),
        Arguments.of("a pipeline input of the wrong datatype for its model",
            new PipelineSpec("chat", Specs.withDecoding(List.of(t("text", DataType.INT64, 1))), chat().outputs(),
                chat().steps()),
            "pipeline chat, step featurize: inputs.text: input.text is INT64 (expected: BYTES, model featurizer's"
                + " input text)"),
        Arguments.of("a pipeline output from an unknown tensor",
            new PipelineSpec("chat", chat().inputs(), List.of(out("intent", "classify.intnt")), chat().steps()),
            "pipeline chat: outputs.intent: \"classify.intnt\" (expected: an output of step classify: intent_id,"
                + " intent, confidence, probabilities, followup)"),
        Arguments.of("a step nobody uses", withSteps(chat(), append(chat().steps(),
                model("extra", "featurizer", bind("text", "input.text")))),
            "pipeline chat, step extra: no step or pipeline output uses its outputs [features] (expected: remove"
                + " the step or use it)"),
        Arguments.of("a step name given twice", withSteps(chat(), append(chat().steps(),
                model("classify", "featurizer", bind("text", "input.text")))),
            "pipeline chat: steps[3].name: classify given twice (expected: unique step names)"),
        Arguments.of("a step named input", withSteps(chat(), append(chat().steps(),
                model("input", "featurizer", bind("text", "input.text")))),
            "pipeline chat: steps[3].name: \"input\" (expected: a name without dots, other than \"input\" and \"session\")"),
        // merges
        Arguments.of("a concat of different datatypes", recommendWith("popular", model("popular", "int_popular",
                bind("user_id", "input.user_id"))),
            "pipeline recommend, step candidates: merge.concat[1]: popular.items is INT32 (expected: INT64 like"
                + " retrieval.items)"),
        Arguments.of("a concat along an axis the tensors lack", recommendWith("candidates", step("candidates",
                new Merge(Merge.Mode.CONCAT, refs("retrieval.items", "popular.items"), 2, "candidates"))),
            "pipeline recommend, step candidates: merge.axis: 2 (expected: 0 to 1 for retrieval.items of shape"
                + " [-1, 200])"),
        Arguments.of("a concat whose other dimensions differ", recommendWith("candidates", step("candidates",
                new Merge(Merge.Mode.CONCAT, refs("retrieval.items", "popular.items"), 0, "candidates"))),
            "pipeline recommend, step candidates: merge.concat[1]: popular.items has shape [-1, 50] (expected:"
                + " dimension 1 of 200 like retrieval.items [-1, 200], all dimensions but the axis equal)"),
        Arguments.of("a concat of one tensor", recommendWith("candidates", step("candidates",
                new Merge(Merge.Mode.CONCAT, refs("retrieval.items"), 1, "candidates"))),
            "pipeline recommend, step candidates: merge.concat: 1 reference(s) (expected: at least 2)"),
        Arguments.of("a first_of of different shapes", recommendWith("candidates", step("candidates",
                new Merge(Merge.Mode.FIRST_OF, refs("retrieval.items", "popular.items"), 0, "candidates"))),
            "pipeline recommend, step candidates: merge.first_of[1]: popular.items has shape [-1, 50] (expected:"
                + " dimension 1 of 200 like retrieval.items [-1, 200])"),
        // loops
        Arguments.of("a loop feedback input the model lacks",
            chatWith("reply", loop(replyLoop(INTENT_ID, new Feedback("ctx", "next_id", 2, 1), List.of("next_token"),
                Optional.empty()))),
            "pipeline chat, step reply: loop.feedback.input: \"ctx\" (expected: an input of model responder:"
                + " intent_id, context, temperature, top_k, seed, iteration)"),
        Arguments.of("a loop feedback output the model lacks",
            chatWith("reply", loop(replyLoop(INTENT_ID, new Feedback("context", "next", 2, 1), List.of("next_token"),
                Optional.empty()))),
            "pipeline chat, step reply: loop.feedback.output: \"next\" (expected: an output of model responder:"
                + " scores, next_id, next_token)"),
        Arguments.of("a loop feedback output of another datatype",
            chatWith("reply", loop(replyLoop(INTENT_ID, new Feedback("context", "next_token", 2, 1),
                List.of("next_token"), Optional.empty()))),
            "pipeline chat, step reply: loop.feedback.output: model responder's output next_token is BYTES [-1]"
                + " (expected: INT64 with one element per row, like [-1], to feed context)"),
        Arguments.of("a loop window that does not fit the feedback input",
            chatWith("reply", loop(replyLoop(INTENT_ID, new Feedback("context", "next_id", 3, 1),
                List.of("next_token"), Optional.empty()))),
            "pipeline chat, step reply: loop.feedback.input: model responder's input context is INT64 [-1, 2]"
                + " (expected: an integer tensor of shape [-1, 3], the window)"),
        Arguments.of("a loop stop output the model lacks",
            chatWith("reply", loop(replyLoop(INTENT_ID, FEEDBACK, List.of("next_token"),
                Optional.of(new Until("eos", "2"))))),
            "pipeline chat, step reply: loop.until.output: \"eos\" (expected: an output of model responder:"
                + " scores, next_id, next_token)"),
        Arguments.of("a loop stop value of the wrong type",
            chatWith("reply", loop(replyLoop(INTENT_ID, FEEDBACK, List.of("next_token"),
                Optional.of(new Until("next_id", "end"))))),
            "pipeline chat, step reply: loop.until.equals: \"end\" (expected: an integer, reply.next_id is INT64)"),
        Arguments.of("a loop collecting an output the model lacks",
            chatWith("reply", loop(replyLoop(INTENT_ID, FEEDBACK, List.of("token"), Optional.empty()))),
            "pipeline chat, step reply: loop.collect: \"token\" (expected: an output of model responder:"
                + " scores, next_id, next_token)"),
        Arguments.of("a loop feeding its feedback input twice",
            chatWith("reply", loop(replyLoop(List.of(bind("intent_id", "classify.intent_id"),
                bind("context", "classify.intent_id")), FEEDBACK, List.of("next_token"), Optional.empty()))),
            "pipeline chat, step reply: loop.inputs.context: fed twice (by the loop's feedback too) (expected:"
                + " each model input fed once)"),
        Arguments.of("a loop with a fixed input left unfed",
            chatWith("reply", loop(replyLoop(List.of(), FEEDBACK, List.of("next_token"), Optional.empty()))),
            "pipeline chat, step reply: loop.inputs.intent_id: not fed (expected: a reference for model responder's"
                + " input intent_id INT64 [-1])"),
        // switches
        Arguments.of("a switch on a float tensor", routed(new Switch(TensorRef.parse("classify.confidence"),
                List.of(new Case("0", List.of("reply"))), List.of())),
            "pipeline chat, step route: switch.on: classify.confidence is FP32 (expected: an integer or BYTES tensor)"),
        Arguments.of("a switch on a tensor of many elements", withSteps(recommend(), append(recommend().steps(),
                step("route", new Switch(TensorRef.parse("retrieval.items"), List.of(new Case("0", List.of("popular"))),
                    List.of())))),
            "pipeline recommend, step route: switch.on: retrieval.items has shape [-1, 200] (expected: one element,"
                + " like [1] or [-1])"),
        Arguments.of("a switch case naming an unknown step", routed(new Switch(TensorRef.parse("classify.intent_id"),
                List.of(new Case("0", List.of("replay"))), List.of())),
            "pipeline chat, step route: switch.cases[0].steps: \"replay\" (expected: another step of this pipeline:"
                + " featurize, classify, reply)"),
        Arguments.of("a switch case value of the wrong type", routed(new Switch(TensorRef.parse("classify.intent_id"),
                List.of(new Case("greeting", List.of("reply"))), List.of())),
            "pipeline chat, step route: switch.cases[0].equals: \"greeting\" (expected: an integer,"
                + " classify.intent_id is INT64)"),
        Arguments.of("a switch case value given twice", routed(new Switch(TensorRef.parse("classify.intent_id"),
                List.of(new Case("0", List.of("reply")), new Case("00", List.of())), List.of())),
            "pipeline chat, step route: switch.cases[1].equals: 0 given twice (expected: each value once)"),
        Arguments.of("a switch that controls a step it depends on", routed(new Switch(TensorRef.parse("classify.intent_id"),
                List.of(new Case("0", List.of("featurize"))), List.of())),
            "pipeline chat: steps form a cycle: featurize -> classify -> route -> featurize (expected: each step to"
                + " use only earlier steps' outputs)"),
        Arguments.of("a step in the branches of two switches", withSteps(chat(), append(append(chat().steps(),
                step("route", new Switch(TensorRef.parse("classify.intent_id"), List.of(new Case("0", List.of("reply"))),
                    List.of()))),
                step("route2", new Switch(TensorRef.parse("classify.intent"), List.of(new Case("x", List.of("reply"))),
                    List.of())))),
            "pipeline chat, step route2: switch.cases[0].steps: \"reply\" is already in a branch of switch route"
                + " (expected: each step in the branches of one switch at most)"));
  }

  private static PipelineSpec routed(Switch sw) {
    return withSteps(chat(), append(chat().steps(), step("route", sw)));
  }

  private static List<StepSpec> append(List<StepSpec> steps, StepSpec extra) {
    List<StepSpec> out = new ArrayList<>(steps);
    out.add(extra);
    return out;
  }

  private static List<TensorRef> refs(String... refs) {
    return Stream.of(refs).map(TensorRef::parse).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badPipelines")
  void rejectsWithAMessageNamingPipelineStepAndProblem(String label, PipelineSpec spec, String message) {
    assertThatThrownBy(() -> PipelineCompiler.compileOne(spec, models()))
        .isInstanceOf(PipelineConfigException.class)
        .hasMessage(message);
  }

  @Test
  void pipelineNamesAreUnique() {
    FakeModels pools = new FakeModels(new FakeTime());
    Specs.demoModels().values().forEach(s -> pools.add(s, FakeModels.hold()));
    assertThatThrownBy(() -> CompiledPipelines.compile(List.of(chat(), chat()), pools.signatures(), pools, System::nanoTime))
        .isInstanceOf(PipelineConfigException.class)
        .hasMessage("pipeline chat: name given twice (expected: unique pipeline names)");
  }

  @Test
  void demoPipelinesCompileAndDescribeTheirSignatures() {
    FakeModels pools = new FakeModels(new FakeTime());
    Specs.demoModels().values().forEach(s -> pools.add(s, FakeModels.hold()));
    CompiledPipelines pipelines = CompiledPipelines.compile(List.of(chat(), recommend()), pools.signatures(), pools,
        System::nanoTime);

    assertThat(pipelines.describe()).extracting(PipelineDescription::name).containsExactly("chat", "recommend");
    PipelineDescription chat = pipelines.describe("chat").orElseThrow();
    assertThat(chat.inputs()).containsExactly(t("text", DataType.BYTES, 1), t("temperature", DataType.FP32, 1),
        t("top_k", DataType.INT32, 1), t("seed", DataType.INT64, 1));
    assertThat(chat.outputs()).containsExactly(
        t("intent", DataType.BYTES, -1), t("confidence", DataType.FP32, -1), t("tokens", DataType.BYTES, -1));
    assertThat(chat.steps()).containsExactly("featurize", "classify", "reply");

    PipelineDescription recommend = pipelines.describe("recommend").orElseThrow();
    assertThat(recommend.steps()).containsExactly("user_tower", "retrieval", "popular", "candidates", "ranker");
    assertThat(recommend.outputs()).containsExactly(t("items", DataType.INT64, -1, 50), t("scores", DataType.FP32, -1, 50));
    assertThat(pipelines.describe("nope")).isEmpty();
  }

  @Test
  void concatAddsKnownSizesAlongTheAxis() {
    Plan plan = PipelineCompiler.compileOne(recommend(), models());
    Plan.Node candidates = plan.nodes().stream().filter(n -> n.name().equals("candidates")).findFirst().orElseThrow();
    assertThat(candidates.op()).isInstanceOf(Plan.Concat.class);
    PipelineSpec exposed = new PipelineSpec("recommend", recommend().inputs(),
        List.of(out("items", "ranker.items"), out("candidates", "candidates.candidates")), recommend().steps());
    Plan withCandidates = PipelineCompiler.compileOne(exposed, models());
    TensorSpec spec = withCandidates.outputs().get(1).spec();
    assertThat(spec).isEqualTo(t("candidates", DataType.INT64, -1, 250));
  }

  @Test
  void stepsAreOrderedByTheirInputsNotByHowTheyAreWritten() {
    List<StepSpec> reversed = new ArrayList<>(recommend().steps());
    java.util.Collections.reverse(reversed);
    Plan plan = PipelineCompiler.compileOne(withSteps(recommend(), reversed), models());
    assertThat(plan.description().steps()).containsExactly("popular", "user_tower", "retrieval", "candidates", "ranker");
  }

  @Test
  void modelStepsAskOnlyForTheOutputsSomethingReads() {
    Plan plan = PipelineCompiler.compileOne(chat(), models());
    Plan.Call classify = (Plan.Call) plan.nodes().get(1).op();
    assertThat(classify.asked()).containsExactlyInAnyOrder("intent_id", "intent", "confidence");
  }
}
