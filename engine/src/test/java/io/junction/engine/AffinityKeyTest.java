package io.junction.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A run's affinity key reaches every call the run makes, through the invoker's keyed overloads:
 * model steps, each call of a loop, and a fused segment. Invokers without the overloads (the
 * other tests' fake) keep working through their defaults.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class AffinityKeyTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);
  private final KeyedInvoker invoker = new KeyedInvoker(models);

  AffinityKeyTest() {
    models.add(Specs.FEATURIZER, FakeModels.answer(ExecutionTest::featurize))
        .add(Specs.INTENT, FakeModels.answer(ExecutionTest::classify))
        .add(Specs.RESPONDER, FakeModels.answer(c -> ExecutionTest.respond(c, 7)));
  }

  /** Records the key of every call it is given, then lets the fake models answer it. */
  static final class KeyedInvoker implements ModelInvoker {
    private final FakeModels models;
    final List<String> inferKeys = Collections.synchronizedList(new ArrayList<>());
    final List<String> segmentKeys = Collections.synchronizedList(new ArrayList<>());

    KeyedInvoker(FakeModels models) {
      this.models = models;
    }

    @Override
    public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
        long timeoutNanos) {
      throw new AssertionError("the engine calls the keyed overload, with null for no key");
    }

    @Override
    public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
        long timeoutNanos, String affinityKey) {
      inferKeys.add(affinityKey);
      return models.infer(model, inputs, outputs, timeoutNanos);
    }

    @Override
    public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
        List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener, String affinityKey) {
      segmentKeys.add(affinityKey);
      return models.runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, listener);
    }

    @Override
    public Failure classify(Throwable error) {
      return models.classify(error);
    }
  }

  private static Tensor text(String s) {
    return ExecutionTest.text(s);
  }

  private PipelineResult run(CompiledPipelines p, RunOptions options) throws Exception {
    return p.run("chat", List.of(text("hello")), options, CompiledPipelines.NO_DEADLINE, IterationListener.NONE)
        .get(5, TimeUnit.SECONDS);
  }

  @Test
  void everyModelCallAndEveryLoopIterationOfARunCarriesItsKey() throws Exception {
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), models.signatures(), invoker, time);
    PipelineResult r = run(p, RunOptions.DEFAULT.withAffinityKey("session-7"));

    assertThat(r.output("tokens").strings()).isNotEmpty();
    assertThat(models.calls(Specs.RESPONDER.name())).as("a loop of several calls").hasSizeGreaterThan(2);
    assertThat(invoker.inferKeys).hasSize(models.calls().size()).containsOnly("session-7");
  }

  @Test
  void aRunWithoutAKeyGivesNone() throws Exception {
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), models.signatures(), invoker, time);
    run(p, new RunOptions(List.of(), OptionalInt.empty()));
    run(p, RunOptions.DEFAULT.withAffinityKey(""));

    assertThat(invoker.inferKeys).isNotEmpty().containsOnlyNulls();
    assertThat(new RunOptions(List.of(), OptionalInt.empty()).withAffinityKey("").affinityKey())
        .as("an empty key is none").isEmpty();
  }

  @Test
  void aFusedSegmentCarriesTheKeyOfItsRun() throws Exception {
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), models.signatures(), invoker, time,
        Placement.of(m -> "g", m -> true));
    models.load(p.segmentPlans());

    PipelineResult r = run(p, RunOptions.DEFAULT.withAffinityKey("session-7"));

    assertThat(r.steps()).allSatisfy(s -> assertThat(s.segment()).startsWith("chat/0-"));
    assertThat(invoker.segmentKeys).containsExactly("session-7");
    assertThat(invoker.inferKeys).as("the segment's own steps run in the worker").isEmpty();
  }
}
