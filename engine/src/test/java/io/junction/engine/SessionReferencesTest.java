package io.junction.engine;

import static io.junction.engine.Specs.bind;
import static io.junction.engine.Specs.model;
import static io.junction.engine.Specs.out;
import static io.junction.engine.Specs.step;
import static io.junction.engine.Specs.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.StepSpec.Case;
import io.junction.engine.StepSpec.Merge;
import io.junction.engine.StepSpec.Switch;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * References to session values ({@code session.previous_intent}, {@code session.turns}): checked
 * when the pipeline is compiled, supplied by the caller as implicit inputs or left out (the empty
 * session), never seen by pipelines that do not read them, and carried into fused segments.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SessionReferencesTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);

  SessionReferencesTest() {
    models.add(Specs.FEATURIZER, FakeModels.answer(ExecutionTest::featurize))
        .add(Specs.INTENT, FakeModels.answer(ExecutionTest::classify))
        .add(Specs.RESPONDER, FakeModels.answer(c -> ExecutionTest.respond(c, 7)))
        .add(Specs.USER_TOWER, FakeModels.answer(c -> List.of(Tensor.ofFloats("embedding", new long[] {1, Specs.D},
            new float[(int) Specs.D]))))
        .add(Specs.RETRIEVAL, FakeModels.answer(c -> ExecutionTest.items(c, 200, 1000)));
  }

  /** Feeds the session's turn count to a model step, and returns it as an output too. */
  static PipelineSpec byTurns() {
    return new PipelineSpec("by_turns", List.of(),
        List.of(out("items", "retrieval.items"), out("turns", "session.turns")),
        List.of(model("tower", "user_tower", bind("user_id", "session.turns")),
            model("retrieval", "retrieval", bind("embedding", "tower.embedding"))));
  }

  /** Takes branch {@code fresh} when the session has no previous intent, {@code continued} otherwise. */
  static PipelineSpec followUp() {
    return new PipelineSpec("follow_up", List.of(t("text", DataType.BYTES, 1)),
        List.of(out("intent", "intent.intent")),
        List.of(model("featurize", "featurizer", bind("text", "input.text")),
            step("route", new Switch(TensorRef.parse("session.previous_intent"),
                List.of(new Case("", List.of("fresh"))), List.of("continued"))),
            model("fresh", "intent", bind("features", "featurize.features")),
            model("continued", "intent", bind("features", "featurize.features")),
            step("intent", new Merge(Merge.Mode.FIRST_OF, List.of(TensorRef.parse("fresh.intent"),
                TensorRef.parse("continued.intent")), 0, "intent"))));
  }

  private CompiledPipelines compile(Placement placement, PipelineSpec... specs) {
    CompiledPipelines p = CompiledPipelines.compile(List.of(specs), models.signatures(), models, time, placement);
    models.load(p.segmentPlans());
    return p;
  }

  private CompiledPipelines compile(PipelineSpec... specs) {
    return compile(Placement.NONE, specs);
  }

  private static PipelineResult run(CompiledPipelines p, String pipeline, List<Tensor> inputs) throws Exception {
    return p.run(pipeline, inputs, RunOptions.DEFAULT, FakeTime.millis(5000), IterationListener.NONE).get(5, TimeUnit.SECONDS);
  }

  private long turnsTheTowerGot() {
    List<FakeModels.Call> calls = models.calls("user_tower");
    assertThat(calls).hasSize(1);
    return calls.get(0).input("user_id").longs()[0];
  }

  // ---- at run time ----

  @Test
  void aStepReadsTheSessionValueTheCallerGives() throws Exception {
    PipelineResult r = run(compile(byTurns()), "by_turns", SessionInputs.of("book_flight", 3));
    assertThat(turnsTheTowerGot()).isEqualTo(3);
    assertThat(r.output("turns").longs()).containsExactly(3);
    assertThat(r.output("turns").shape()).containsExactly(1);
  }

  @Test
  void sessionValuesTheCallerLeavesOutAreTheEmptySessions() throws Exception {
    PipelineResult r = run(compile(byTurns()), "by_turns", List.of());
    assertThat(turnsTheTowerGot()).isZero();
    assertThat(r.output("turns").longs()).containsExactly(0);
  }

  @Test
  void aSwitchOnThePreviousIntentTakesTheBranchOfTheSession() throws Exception {
    CompiledPipelines p = compile(followUp());
    Tensor text = ExecutionTest.text("yes please");
    assertThat(run(p, "follow_up", List.of(text)).steps()).extracting(PipelineResult.StepTiming::step)
        .contains("fresh").doesNotContain("continued");
    List<Tensor> withSession = new ArrayList<>(SessionInputs.of("book_flight", 1));
    withSession.add(text);
    assertThat(run(p, "follow_up", withSession).steps()).extracting(PipelineResult.StepTiming::step)
        .contains("continued").doesNotContain("fresh");
    List<Tensor> emptySession = new ArrayList<>(SessionInputs.of("", 0));
    emptySession.add(text);
    assertThat(run(p, "follow_up", emptySession).steps()).extracting(PipelineResult.StepTiming::step)
        .contains("fresh");
  }

  /**
   * The demo's chat: its classify step gets the session's previous intent beside the intent
   * model's answer, and the reply loop reads classify's intent id. The fake session_intent takes
   * the previous intent's id when there is one (what the real model does for a follow-up).
   */
  @Test
  void theDemoChatsClassifyStepReadsThePreviousIntentAndTheReplyLoopItsAnswer() throws Exception {
    models.add(Specs.INTENT, FakeModels.answer(c -> {
      List<Tensor> out = new ArrayList<>(ExecutionTest.classify(c));
      out.add(Tensor.ofFloats("followup", new long[] {1}, 0.9f));
      return out;
    })).add(Specs.SESSION_INTENT, FakeModels.answer(c -> {
      String previous = c.input("previous_intent").strings().get(0);
      long id = previous.isEmpty() ? c.input("intent_id").longs()[0] : Long.parseLong(previous.substring(6));
      return List.of(Tensor.ofLongs("intent_id", new long[] {1}, id),
          Tensor.ofStrings("intent", new long[] {1}, List.of("intent" + id)),
          Tensor.ofFloats("confidence", new long[] {1}, c.input("followup").floats()));
    }));
    CompiledPipelines p = compile(Specs.demoChat());
    List<Tensor> inputs = new ArrayList<>(SessionInputs.of("intent0", 2));
    inputs.add(ExecutionTest.text("hello")); // the text alone: intent2

    PipelineResult r = run(p, "chat", inputs);
    assertThat(r.output("intent").strings()).containsExactly("intent0");
    assertThat(models.calls("session_intent").get(0).input("previous_intent").strings()).containsExactly("intent0");
    assertThat(models.calls("session_intent").get(0).input("intent_id").longs()).containsExactly(2);
    assertThat(models.calls("responder")).isNotEmpty()
        .allSatisfy(c -> assertThat(c.input("intent_id").longs()).containsExactly(0));

    assertThat(run(p, "chat", List.of(ExecutionTest.text("hello"))).output("intent").strings())
        .as("without a session").containsExactly("intent2");
  }

  @Test
  void aPipelineThatReadsNoSessionValueNeverSeesThem() throws Exception {
    CompiledPipelines p = compile(Specs.chat(), byTurns());
    List<Tensor> inputs = new ArrayList<>(SessionInputs.of("greet", 4));
    inputs.add(ExecutionTest.text("hello"));
    assertThat(run(p, "chat", inputs).output("intent").strings()).containsExactly("intent2");
    assertThat(models.calls("featurizer").get(0).inputs()).extracting(Tensor::name).containsExactly("text");
    // Session values are not among the inputs a caller is told to give.
    assertThat(p.describe("chat").orElseThrow().inputs()).extracting(TensorSpec::name)
        .containsExactly("text", "temperature", "top_k", "seed");
    assertThat(p.describe("by_turns").orElseThrow().inputs()).isEmpty();
    assertThatThrownBy(() -> run(p, "chat", SessionInputs.of("greet", 4)))
        .hasCauseInstanceOf(PipelineInputException.class)
        .cause().hasMessage("text: missing (expected inputs: text BYTES [1], temperature FP32 [1] (optional), top_k INT32 [1]"
            + " (optional), seed INT64 [1] (optional))");
  }

  @Test
  void aSessionValueOfTheWrongTypeOrAnUnknownOneIsAnInputError() {
    CompiledPipelines p = compile(byTurns());
    CompletableFuture<PipelineResult> wrongType = p.run("by_turns",
        List.of(Tensor.ofStrings(SessionInputs.TURNS, new long[] {1}, List.of("3"))), RunOptions.DEFAULT,
        FakeTime.millis(5000), IterationListener.NONE);
    assertThat(ExecutionTest.failure(wrongType)).isInstanceOf(PipelineInputException.class)
        .hasMessage("session.turns.datatype: BYTES (expected: INT64)");
    CompletableFuture<PipelineResult> unknown = p.run("by_turns",
        List.of(Tensor.ofLongs("session.turn", new long[] {1}, 3)), RunOptions.DEFAULT,
        FakeTime.millis(5000), IterationListener.NONE);
    assertThat(ExecutionTest.failure(unknown)).isInstanceOf(PipelineInputException.class)
        .hasMessage("session.turn: not an input of pipeline by_turns (expected inputs: none)");
    assertThat(models.calls()).isEmpty();
  }

  @Test
  void aSessionValueCrossesIntoAFusedSegmentAsOneOfItsInputs() throws Exception {
    Placement oneGroup = Placement.of(m -> "g", m -> true);
    CompiledPipelines p = compile(oneGroup, byTurns());
    assertThat(p.segmentPlans()).hasSize(1);
    SegmentPlan plan = p.segmentPlans().get(0);
    assertThat(plan.spec().inputs()).containsExactly(new TensorSpec("session.turns", DataType.INT64, List.of(1L)));
    assertThat(PlanCodec.fromMessage(PlanCodec.toMessage(plan), plan.group())).isEqualTo(plan);

    PipelineResult r = run(p, "by_turns", SessionInputs.of("", 5));
    assertThat(models.segmentCalls()).hasSize(1);
    assertThat(turnsTheTowerGot()).isEqualTo(5);
    assertThat(r.output("turns").longs()).containsExactly(5);
  }

  // ---- at compile time ----

  static Stream<Arguments> badReferences() {
    PipelineSpec byTurns = byTurns();
    return Stream.of(
        Arguments.of("an unknown session value in a step", new PipelineSpec("p", List.of(), byTurns.outputs(),
                List.of(model("tower", "user_tower", bind("user_id", "session.turn")), byTurns.steps().get(1))),
            "pipeline p, step tower: inputs.user_id: \"session.turn\" (expected: a session value:"
                + " session.previous_intent, session.turns)"),
        Arguments.of("an unknown session value in an output", new PipelineSpec("p", List.of(),
                List.of(out("items", "retrieval.items"), out("intent", "session.intent")), byTurns.steps()),
            "pipeline p: outputs.intent: \"session.intent\" (expected: a session value: session.previous_intent,"
                + " session.turns)"),
        Arguments.of("an unknown session value to switch on", new PipelineSpec("p", List.of(t("text", DataType.BYTES, 1)),
                followUp().outputs(), Specs.replace(followUp().steps(), "route", step("route",
                    new Switch(TensorRef.parse("session.last_intent"), List.of(new Case("", List.of("fresh"))),
                        List.of("continued"))))),
            "pipeline p, step route: switch.on: \"session.last_intent\" (expected: a session value:"
                + " session.previous_intent, session.turns)"),
        Arguments.of("a session value of the wrong datatype for its model", new PipelineSpec("p", List.of(),
                byTurns.outputs(), List.of(model("tower", "user_tower", bind("user_id", "session.previous_intent")),
                    byTurns.steps().get(1))),
            "pipeline p, step tower: inputs.user_id: session.previous_intent is BYTES (expected: INT64, model"
                + " user_tower's input user_id)"),
        Arguments.of("a declared input named like a session value it reads", new PipelineSpec("p",
                List.of(t("session.turns", DataType.INT64, 1)), byTurns.outputs(), byTurns.steps()),
            "pipeline p: inputs: session.turns: the name of a session value this pipeline reads (expected: another"
                + " name; session values are given by the caller's session and need no declaration)"),
        Arguments.of("a step named session", new PipelineSpec("p", List.of(), List.of(out("items", "session.items")),
                List.of(model("session", "user_tower", bind("user_id", "session.turns")))),
            "pipeline p: steps[0].name: \"session\" (expected: a name without dots, other than \"input\" and"
                + " \"session\")"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badReferences")
  void aBadSessionReferenceIsRefusedAtCompileNamingTheKnownValues(String label, PipelineSpec spec, String message) {
    assertThatThrownBy(() -> compile(spec)).isInstanceOf(PipelineConfigException.class).hasMessage(message);
  }
}
