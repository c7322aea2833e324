package io.junction.engine;

import static io.junction.engine.Specs.bind;
import static io.junction.engine.Specs.recommend;
import static io.junction.engine.Specs.replace;
import static io.junction.engine.Specs.withSteps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.FakeModels.CallFailed;
import io.junction.engine.ModelInvoker.Failure;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A model step's fallback: checked at compile against what the pipeline reads from the step,
 * called when the step's attempts are spent on failures that say its model could not serve, not
 * on the caller's mistakes, and never fused into a segment.
 */
class FallbackTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);

  FallbackTest() {
    models.add(Specs.USER_TOWER, FakeModels.answer(c -> List.of(Tensor.ofFloats("embedding", new long[] {1, Specs.D},
            new float[(int) Specs.D]))))
        .add(Specs.RETRIEVAL, FakeModels.answer(c -> ExecutionTest.items(c, 200, 1000)))
        .add(Specs.POPULAR, FakeModels.answer(c -> ExecutionTest.items(c, 50, 5000)))
        .add(Specs.RANKER, FakeModels.answer(ExecutionTest::rank));
  }

  private static StepSpec withFallback(StepSpec s, String model, StepSpec.Binding... inputs) {
    return new StepSpec(s.name(), s.timeout(), s.retries(), s.kind(),
        Optional.of(new StepSpec.Fallback(model, List.of(inputs))));
  }

  private static StepSpec stepOf(PipelineSpec p, String name) {
    return p.steps().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  /** The recommend pipeline whose ranker falls back to popular, fed the user id. */
  private static PipelineSpec rankerFallsBackToPopular() {
    PipelineSpec r = recommend();
    return withSteps(r, replace(r.steps(), "ranker",
        withFallback(stepOf(r, "ranker"), "popular", bind("user_id", "input.user_id"))));
  }

  private CompletableFuture<PipelineResult> run(PipelineSpec spec, Placement placement) {
    CompiledPipelines p = CompiledPipelines.compile(List.of(spec), models.signatures(), models, time, placement);
    models.load(p.segmentPlans());
    return p.run(spec.name(), List.of(ExecutionTest.userId(7)), RunOptions.DEFAULT, FakeTime.millis(5000),
        IterationListener.NONE);
  }

  private static CallFailed failed(Failure kind) {
    return new CallFailed(kind, "replica r0: " + kind + ": test");
  }

  private void compile(PipelineSpec spec) {
    PipelineCompiler.compileOne(spec, models.signatures());
  }

  @Test
  void aStepWhoseModelCannotServeAnswersThroughItsFallback() throws Exception {
    models.handle("ranker", c -> CompletableFuture.failedFuture(failed(Failure.RETRYABLE)));
    PipelineResult r = run(rankerFallsBackToPopular(), Placement.NONE).get(5, TimeUnit.SECONDS);

    assertThat(r.output("items").longs()).startsWith(5000L, 5001L); // popular's items, not the ranker's
    assertThat(models.calls("ranker")).hasSize(2); // its attempts: 1 + retries 1
    assertThat(models.calls("popular")).hasSize(2); // the pipeline's popular step, and the fallback
    assertThat(models.calls("popular").get(1).inputs()).extracting(Tensor::name).containsExactly("user_id");
    assertThat(r.steps()).filteredOn(s -> s.step().equals("ranker")).extracting(PipelineResult.StepTiming::attempts)
        .containsExactly(3);
  }

  @Test
  void aRetryBudgetSpentOrATimeoutOfTheStepAlsoFallsBack() throws Exception {
    models.handle("ranker", c -> CompletableFuture.failedFuture(failed(Failure.RETRIES_SPENT)));
    assertThat(run(rankerFallsBackToPopular(), Placement.NONE).get(5, TimeUnit.SECONDS).output("items").longs())
        .startsWith(5000L);

    models.handle("ranker", FakeModels.hold());
    CompletableFuture<PipelineResult> timedOut = run(rankerFallsBackToPopular(), Placement.NONE);
    time.advanceMillis(1000); // the step's timeout_ms, attempt 1
    time.advanceMillis(1000); // attempt 2
    assertThat(timedOut.get(5, TimeUnit.SECONDS).output("items").longs()).startsWith(5000L);
  }

  @Test
  void theCallersMistakeDoesNotFallBack() {
    CallFailed mistake = failed(Failure.FINAL);
    models.handle("ranker", c -> CompletableFuture.failedFuture(mistake));
    CompletableFuture<PipelineResult> run = run(rankerFallsBackToPopular(), Placement.NONE);

    assertThatThrownBy(run::get).isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(StepFailedException.class).hasCause(mistake);
    assertThat(models.calls("popular")).hasSize(1); // the pipeline's own popular step only
  }

  @Test
  void whenTheFallbackFailsTooTheRunFailsWithItsErrorAndTheStepsOwnSuppressed() {
    CallFailed own = failed(Failure.RETRYABLE);
    CallFailed fallbacks = new CallFailed(Failure.RETRYABLE, "replica r1: UNAVAILABLE: popular down");
    models.handle("ranker", c -> CompletableFuture.failedFuture(own));
    PipelineSpec spec = rankerFallsBackToPopular();
    CompiledPipelines p = CompiledPipelines.compile(List.of(spec), models.signatures(), models, time, Placement.NONE);
    // the pipeline's own popular step answers; the fallback's call (the second) fails
    models.handle("popular", c -> models.calls("popular").size() == 1
        ? CompletableFuture.completedFuture(ExecutionTest.items(c, 50, 5000))
        : CompletableFuture.failedFuture(fallbacks));
    CompletableFuture<PipelineResult> run = p.run("recommend", List.of(ExecutionTest.userId(7)), RunOptions.DEFAULT,
        FakeTime.millis(5000), IterationListener.NONE);

    assertThatThrownBy(run::get).cause().isInstanceOf(StepFailedException.class)
        .hasMessage("pipeline recommend, step ranker: replica r1: UNAVAILABLE: popular down")
        .hasCause(fallbacks);
    assertThat(fallbacks.getSuppressed()).containsExactly(own);
  }

  @Test
  void aStepWithAFallbackStaysOutOfFusedSegments() throws Exception {
    Placement oneGroup = Placement.of(m -> "g", m -> true);
    CompiledPipelines p = CompiledPipelines.compile(List.of(rankerFallsBackToPopular()), models.signatures(), models,
        time, oneGroup);
    assertThat(p.describe("recommend").orElseThrow().segments())
        .allSatisfy(s -> assertThat(s.steps()).doesNotContain("ranker"))
        .isNotEmpty();

    models.handle("ranker", c -> CompletableFuture.failedFuture(failed(Failure.RETRYABLE)));
    assertThat(run(rankerFallsBackToPopular(), oneGroup).get(5, TimeUnit.SECONDS).output("items").longs())
        .startsWith(5000L);
  }

  @Test
  void aFallbackMissingAnOutputThePipelineReadsIsRefusedNamingStepTensorAndSignature() {
    PipelineSpec r = recommend();
    PipelineSpec spec = withSteps(r, replace(r.steps(), "ranker",
        withFallback(stepOf(r, "ranker"), "user_tower", bind("user_id", "input.user_id"))));
    assertThatThrownBy(() -> compile(spec)).isInstanceOf(PipelineConfigException.class)
        .hasMessage("pipeline recommend, step ranker: fallback.model: user_tower has no output items (it gives:"
            + " embedding) (expected: the outputs the pipeline reads from this step as model ranker gives them:"
            + " items INT64 [-1, 50], scores FP32 [-1, 50])");
  }

  @Test
  void aFallbackWhoseOutputHasAnotherShapeIsRefused() {
    PipelineSpec r = recommend();
    PipelineSpec spec = withSteps(r, replace(r.steps(), "retrieval",
        withFallback(stepOf(r, "retrieval"), "popular", bind("user_id", "input.user_id"))));
    assertThatThrownBy(() -> compile(spec)).isInstanceOf(PipelineConfigException.class)
        .hasMessageStartingWith("pipeline recommend, step retrieval: fallback.model: popular's output items is INT64"
            + " [-1, 50] (expected: the outputs the pipeline reads from this step as model retrieval gives them:"
            + " items INT64 [-1, 200]");
  }

  @Test
  void aFallbackFedTheStepsOwnInputsMustTakeThem() {
    PipelineSpec r = recommend();
    PipelineSpec spec = withSteps(r, replace(r.steps(), "ranker", withFallback(stepOf(r, "ranker"), "popular")));
    assertThatThrownBy(() -> compile(spec)).isInstanceOf(PipelineConfigException.class)
        .hasMessage("pipeline recommend, step ranker: fallback (fed the step's inputs).embedding: not an input of"
            + " model popular (expected one of: user_id)");
  }

  @Test
  void onlyAModelStepMayNameAFallback() {
    PipelineSpec r = recommend();
    StepSpec merge = stepOf(r, "candidates");
    PipelineSpec spec = withSteps(r, replace(r.steps(), "candidates", new StepSpec(merge.name(), Duration.ofSeconds(1),
        1, merge.kind(), Optional.of(new StepSpec.Fallback("popular", List.of())))));
    assertThatThrownBy(() -> compile(spec)).isInstanceOf(PipelineConfigException.class)
        .hasMessage("pipeline recommend, step candidates: fallback: given for a step that calls no model once"
            + " (expected: only a model step may name a fallback)");
  }

  @Test
  void aFallbacksOwnInputsAreTypeChecked() {
    PipelineSpec r = recommend();
    PipelineSpec bad = withSteps(r, replace(r.steps(), "ranker",
        withFallback(stepOf(r, "ranker"), "popular", bind("user_id", "user_tower.embedding"))));
    assertThatThrownBy(() -> compile(bad)).isInstanceOf(PipelineConfigException.class)
        .hasMessageStartingWith("pipeline recommend, step ranker: fallback.inputs.user_id: user_tower.embedding is FP32"
            + " (expected: INT64");
  }
}
