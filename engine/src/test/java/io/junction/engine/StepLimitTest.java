package io.junction.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StepLimit}: a run counts the steps it executes (a loop each of its iterations) and fails,
 * naming the limit, at the step that would pass it; a fused segment carries the run's limit and
 * count into its worker, and its steps count toward the run's.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class StepLimitTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);

  StepLimitTest() {
    // answers 10 + its iteration number, and the stop value 2 at the fourth call
    models.add(LoopIterationTest.STEPPER, FakeModels.answer(c -> LoopIterationTest.next(c.input("step").longs()[0])))
        .add(Specs.FEATURIZER, FakeModels.answer(ExecutionTest::featurize))
        .add(Specs.INTENT, FakeModels.answer(ExecutionTest::classify))
        .add(Specs.RESPONDER, FakeModels.answer(c -> ExecutionTest.respond(c, 7)));
  }

  /** One loop of four calls: four steps executed. */
  private static final PipelineSpec DECODE = LoopIterationTest.decode("stepper", Optional.of("step"));

  private CompletableFuture<PipelineResult> decode(StepLimit limit) {
    return CompiledPipelines.compile(List.of(DECODE), models.signatures(), models, time)
        .run("decode", List.of(Tensor.ofLongs("seed", new long[] {1}, 7)),
            new RunOptions(List.of(), OptionalInt.empty()).withSteps(limit), CompiledPipelines.NO_DEADLINE,
            IterationListener.NONE);
  }

  private CompletableFuture<PipelineResult> chat(Placement placement, StepLimit limit) {
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), models.signatures(), models, time, placement);
    models.load(p.segmentPlans());
    return p.run("chat", List.of(ExecutionTest.text("hello there")),
        new RunOptions(List.of(), OptionalInt.empty()).withSteps(limit), CompiledPipelines.NO_DEADLINE,
        IterationListener.NONE);
  }

  private static Throwable failure(CompletableFuture<?> f) throws Exception {
    try {
      f.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("not failed");
  }

  private static String exceeded(int executed, int max) {
    return "steps executed: " + executed + " (expected: <= " + max
        + ", each loop iteration counted; limits.max_steps_executed in the config)";
  }

  @Test
  void eachLoopIterationCountsAndARunAtItsLimitSucceeds() throws Exception {
    PipelineResult r = decode(StepLimit.of(4)).get(5, TimeUnit.SECONDS);
    assertThat(r.output("ids").longs()).containsExactly(10, 11, 12);
    assertThat(r.stepsExecuted()).isEqualTo(4);
  }

  @Test
  void aRunPastItsLimitFailsAtTheStepThatWouldPassItAndCallsNothingMore() throws Exception {
    Throwable e = failure(decode(StepLimit.of(3)));
    assertThat(e).isInstanceOf(StepFailedException.class).hasMessage("pipeline decode, step reply: " + exceeded(4, 3));
    assertThat(e.getCause()).isInstanceOf(StepLimitException.class);
    assertThat(models.calls("stepper")).as("the fourth iteration never called its model").hasSize(3);
  }

  @Test
  void aFusedSegmentCountsAsItsStepsDoAndStopsInsideItsWorkerAtTheRunsLimit() throws Exception {
    int steps = chat(Placement.NONE, StepLimit.NONE).get(5, TimeUnit.SECONDS).stepsExecuted();
    assertThat(steps).as("featurize, classify and the reply's iterations").isGreaterThan(3);

    Placement fused = Placement.of(m -> "g", m -> true);
    assertThat(chat(fused, StepLimit.of(steps)).get(5, TimeUnit.SECONDS).stepsExecuted()).isEqualTo(steps);
    Throwable e = failure(chat(fused, StepLimit.of(steps - 1)));
    assertThat(e).isInstanceOf(SegmentFailedException.class)
        .hasMessage("pipeline chat, step reply: " + exceeded(steps, steps - 1));
  }

  @Test
  void aSegmentAfterAStepOutsideItStartsFromTheRunsCount() throws Exception {
    Placement featurizerElsewhere = Placement.of(m -> m.equals("featurizer") ? "other" : "g",
        m -> !Set.of("featurizer").contains(m));
    int steps = chat(featurizerElsewhere, StepLimit.NONE).get(5, TimeUnit.SECONDS).stepsExecuted();
    Throwable e = failure(chat(featurizerElsewhere, StepLimit.of(steps - 1)));
    assertThat(e).hasMessage("pipeline chat, step reply: " + exceeded(steps, steps - 1));
  }
}
