package io.junction.engine;

import static io.junction.engine.Specs.out;
import static io.junction.engine.Specs.timed;
import static org.assertj.core.api.Assertions.assertThat;

import io.junction.engine.FakeModels.CallFailed;
import io.junction.engine.ModelInvoker.Failure;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fused segments: how the compiler cuts them and that a fused run answers exactly as the same
 * pipeline run step by step. The fake invoker runs each segment with this same engine, over the
 * same fake models, as a worker does.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SegmentTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels models = new FakeModels(time);

  SegmentTest() {
    models.add(Specs.FEATURIZER, FakeModels.answer(ExecutionTest::featurize))
        .add(Specs.INTENT, FakeModels.answer(ExecutionTest::classify))
        .add(Specs.RESPONDER, FakeModels.answer(c -> ExecutionTest.respond(c, 7)))
        .add(Specs.USER_TOWER, FakeModels.answer(c -> List.of(Tensor.ofFloats("embedding", new long[] {1, Specs.D},
            new float[(int) Specs.D]))))
        .add(Specs.RETRIEVAL, FakeModels.answer(c -> ExecutionTest.items(c, 200, 1000)))
        .add(Specs.POPULAR, FakeModels.answer(c -> ExecutionTest.items(c, 50, 5000)))
        .add(Specs.RANKER, FakeModels.answer(ExecutionTest::rank));
  }

  /** Every model in one group that can run segments, but for the ones named, which live in "other". */
  private static Placement allIn(String group, String... elsewhere) {
    Set<String> other = Set.of(elsewhere);
    return Placement.of(m -> other.contains(m) ? "other" : group, m -> true);
  }

  private CompiledPipelines compile(Placement placement, PipelineSpec... specs) {
    CompiledPipelines p = CompiledPipelines.compile(List.of(specs), models.signatures(), models, time, placement);
    models.load(p.segmentPlans());
    return p;
  }

  private static List<List<String>> segments(CompiledPipelines p, String pipeline) {
    return p.describe(pipeline).orElseThrow().segments().stream().map(PipelineDescription.Segment::steps).toList();
  }

  private static PipelineResult get(CompletableFuture<PipelineResult> f) throws Exception {
    return f.get(5, TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletableFuture<?> f) {
    return ExecutionTest.failure(f);
  }


  /** Outputs as comparable text: name, datatype, shape and contents. */
  private static List<String> values(PipelineResult r) {
    return r.outputs().stream().map(t -> t.name() + " " + t.datatype() + " " + Tensor.shapeString(t.shape()) + " "
        + (t.datatype() == DataType.BYTES ? t.strings().toString() : t.data().toStringUtf8().hashCode() + ":"
            + java.util.Arrays.toString(t.data().toByteArray()))).toList();
  }

  // ---- the cut ----

  @Test
  void theDemoPipelinesEachBecomeOneSegmentWhenTheirModelsShareAPool() {
    CompiledPipelines p = compile(allIn("g"), Specs.chat(), Specs.recommend());
    assertThat(segments(p, "chat")).containsExactly(List.of("featurize", "classify", "reply"));
    assertThat(segments(p, "recommend")).containsExactly(
        List.of("user_tower", "retrieval", "popular", "candidates", "ranker"));
    SegmentPlan chat = p.segmentPlans().get(0);
    assertThat(chat.group()).isEqualTo("g");
    assertThat(chat.id()).startsWith("chat/0-");
    // Its inputs are what it reads from outside; its outputs what the pipeline reads from it.
    assertThat(chat.spec().inputs()).extracting(TensorSpec -> TensorSpec.name()).containsExactly("input.text", "input.temperature",
        "input.top_k", "input.seed");
    assertThat(chat.spec().outputs()).extracting(PipelineSpec.Output::name)
        .containsExactly("classify.intent", "classify.confidence", "reply.next_token");
  }

  @Test
  void aPlanSurvivesItsWireFormExactly() {
    CompiledPipelines p = compile(allIn("g"), Specs.chat(), Specs.recommend(), routedWithReply(true));
    assertThat(p.segmentPlans()).hasSize(3);
    for (SegmentPlan plan : p.segmentPlans()) {
      assertThat(PlanCodec.fromMessage(PlanCodec.toMessage(plan), plan.group())).isEqualTo(plan);
    }
  }

  @Test
  void aMalformedPlanIsRefusedWithWhereItIsWrong() {
    SegmentPlan plan = compile(allIn("g"), Specs.chat()).segmentPlans().get(0);
    io.junction.proto.v1.SegmentPlan broken = PlanCodec.toMessage(plan).toBuilder()
        .setSteps(0, PlanCodec.toMessage(plan).getSteps(0).toBuilder().setModel(
            io.junction.proto.v1.PlanModelCall.newBuilder().setModel("featurizer").addInputs(
                io.junction.proto.v1.PlanBinding.newBuilder().setInput("text").setFrom("nodot")))).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PlanCodec.fromMessage(broken, "g"))
        .isInstanceOf(PipelineConfigException.class)
        .hasMessage("plan " + plan.id() + ": steps[0].model.inputs.text: \"nodot\" (expected: input.<name>, session.<key> or <step>.<output>)");
  }

  @Test
  void fuseFalseAndAPlacementThatCannotFuseCutNothing() {
    assertThat(compile(allIn("g"), Specs.chat().withFuse(false)).segmentPlans()).isEmpty();
    assertThat(compile(Placement.NONE, Specs.chat()).segmentPlans()).isEmpty();
  }

  @Test
  void aStepInAnotherPoolSplitsTheChainAndNoSegmentJumpsOverIt() {
    // featurize (g) -> classify (other) -> reply (g): a segment {featurize, reply} would read
    // and feed classify at once, so nothing of two steps fuses.
    CompiledPipelines p = compile(allIn("g", "intent"), Specs.chat());
    assertThat(p.segmentPlans()).isEmpty();
    // recommend with popular elsewhere: the rest still fuses, reading popular's items as an input.
    CompiledPipelines r = compile(allIn("g", "popular"), Specs.recommend());
    assertThat(segments(r, "recommend")).containsExactly(List.of("user_tower", "retrieval", "candidates", "ranker"));
    assertThat(r.segmentPlans().get(0).spec().inputs()).extracting(TensorSpec -> TensorSpec.name())
        .containsExactly("input.user_id", "popular.items");
  }

  @Test
  void aSwitchFusesWithItsBranchesOnlyWhenAllLiveInTheSegment() {
    PipelineSpec routed = routedWithReply(true);
    assertThat(segments(compile(allIn("g"), routed), "routed")).containsExactly(
        List.of("route", "a", "b", "c", "features", "classify", "reply"));
    // A branch in another pool: the switch and its branches stay at the orchestrator.
    PipelineSpec otherBranch = routedWithReply(true);
    CompiledPipelines p = CompiledPipelines.compile(List.of(otherBranch), models.signatures(), models, time,
        Placement.of(m -> "g", m -> !m.equals("featurizer")));
    assertThat(p.segmentPlans()).extracting(SegmentPlan::steps).containsExactly(List.of("classify", "reply"));
  }

  @Test
  void valuesASwitchMaySkipNeverCrossASegmentsBoundary() {
    // No default: a route matching no case skips a and b, so features may be skipped, and
    // everything reading it may be: nothing around the switch fuses.
    CompiledPipelines p = compile(allIn("g"), routedWithReply(false));
    assertThat(p.segmentPlans()).isEmpty();
  }

  // ---- fused and unfused answer alike ----

  @Test
  void fusedAndUnfusedDemoPipelinesGiveIdenticalOutputsAndStreams() throws Exception {
    CompiledPipelines fused = compile(allIn("g"), Specs.chat(), Specs.recommend());
    CompiledPipelines plain = compile(allIn("g"), Specs.chat().withFuse(false), Specs.recommend().withFuse(false));
    for (String text : List.of("hello", "book a flight", "x")) {
      List<String> fusedStream = new ArrayList<>();
      List<String> plainStream = new ArrayList<>();
      PipelineResult a = get(fused.run("chat", List.of(ExecutionTest.text(text)), RunOptions.DEFAULT, FakeTime.millis(5000),
          (step, i, v) -> fusedStream.add(step + "#" + i + v.get(0).strings())));
      PipelineResult b = get(plain.run("chat", List.of(ExecutionTest.text(text)), RunOptions.DEFAULT, FakeTime.millis(5000),
          (step, i, v) -> plainStream.add(step + "#" + i + v.get(0).strings())));
      assertThat(values(a)).isEqualTo(values(b));
      assertThat(fusedStream).isEqualTo(plainStream).isNotEmpty();
      assertThat(a.steps()).extracting(PipelineResult.StepTiming::step).containsExactly("featurize", "classify", "reply");
      assertThat(a.steps()).allSatisfy(s -> {
        assertThat(s.segment()).startsWith("chat/0-");
        assertThat(s.ranOn()).isEqualTo("fake-worker");
      });
      assertThat(b.steps()).allSatisfy(s -> assertThat(s.segment()).isEmpty());
      assertThat(b.steps()).extracting(PipelineResult.StepTiming::ranOn).containsExactly("g", "g", "g");
    }
    for (long user : new long[] {0, 7, 1999}) {
      assertThat(values(get(fused.run("recommend", List.of(ExecutionTest.userId(user)), RunOptions.DEFAULT,
          FakeTime.millis(5000), IterationListener.NONE))))
          .isEqualTo(values(get(plain.run("recommend", List.of(ExecutionTest.userId(user)), RunOptions.DEFAULT,
              FakeTime.millis(5000), IterationListener.NONE))));
    }
    assertThat(models.segmentCalls()).hasSize(6);
  }

  @Test
  void fusedAndUnfusedPipelineWithSwitchMergeAndLoopGiveIdenticalOutputs() throws Exception {
    CompiledPipelines fused = compile(allIn("g"), routedWithReply(true));
    CompiledPipelines plain = compile(allIn("g"), routedWithReply(true).withFuse(false));
    assertThat(fused.segmentPlans()).hasSize(1);
    for (long route : new long[] {0, 1, 5}) {
      for (String text : List.of("hi", "hello there")) {
        List<Tensor> in = List.of(Tensor.ofLongs("route", new long[] {1}, route), ExecutionTest.text(text));
        PipelineResult a = get(fused.run("routed", in, RunOptions.DEFAULT, FakeTime.millis(5000), IterationListener.NONE));
        PipelineResult b = get(plain.run("routed", in, RunOptions.DEFAULT, FakeTime.millis(5000), IterationListener.NONE));
        assertThat(values(a)).isEqualTo(values(b));
        // The same steps ran (the chosen branch only), in the same order.
        assertThat(a.steps()).extracting(PipelineResult.StepTiming::step)
            .isEqualTo(b.steps().stream().map(PipelineResult.StepTiming::step).toList());
      }
    }
  }

  @Test
  void maxIterationsCapsTheLoopsInsideASegment() throws Exception {
    CompiledPipelines fused = compile(allIn("g"), Specs.chat());
    PipelineResult r = get(fused.run("chat", List.of(ExecutionTest.text("hello")),
        new RunOptions(List.of(), java.util.OptionalInt.of(2)), FakeTime.millis(5000), IterationListener.NONE));
    assertThat(r.output("tokens").strings()).containsExactly("t5", "t6");
  }

  // ---- step semantics inside a segment ----

  @Test
  void aStepsTimeoutHoldsInsideASegmentAndTheFailureNamesTheStep() {
    models.handle("intent", FakeModels.hold());
    PipelineSpec chat = Specs.withSteps(Specs.chat(), List.of(
        Specs.chat().steps().get(0), timed(Specs.chat().steps().get(1), 100, 0), Specs.chat().steps().get(2)));
    CompletableFuture<PipelineResult> run = compile(allIn("g"), chat)
        .run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT, FakeTime.millis(5000), IterationListener.NONE);
    time.advanceMillis(100);
    assertThat(failure(run)).isInstanceOf(SegmentFailedException.class)
        .hasMessage("pipeline chat, step classify: timed out after 100 ms (timeout_ms: 100 per attempt), attempt 1 of 1");
    // The transport's error says what kind of failure it was (the status code); the segment as a
    // whole is not retried for it: its steps had their own timeouts and retries in the worker.
    assertThat(((CallFailed) failure(run).getCause()).kind).isEqualTo(Failure.TIMED_OUT);
    assertThat(models.classify(failure(run))).isEqualTo(Failure.FINAL);
  }

  @Test
  void aRetryableFailureIsRetriedInsideTheSegmentByTheStepsOwnRetries() throws Exception {
    AtomicInteger n = new AtomicInteger();
    models.handle("intent", c -> n.getAndIncrement() == 0
        ? CompletableFuture.failedFuture(new CallFailed(Failure.RETRYABLE, "replica r0: UNAVAILABLE"))
        : CompletableFuture.completedFuture(ExecutionTest.classify(c)));
    PipelineResult r = get(compile(allIn("g"), Specs.chat())
        .run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT, FakeTime.millis(5000), IterationListener.NONE));
    assertThat(r.steps()).filteredOn(s -> s.step().equals("classify")).extracting(PipelineResult.StepTiming::attempts)
        .containsExactly(2);
    assertThat(models.segmentCalls()).hasSize(1);
  }

  @Test
  void aSegmentThatHasStreamedIsNotAttemptedAgain() {
    // The loop streams, then the responder fails retryably for good: a second attempt of the
    // whole segment would stream the first tokens twice.
    AtomicInteger calls = new AtomicInteger();
    models.handle("responder", c -> calls.incrementAndGet() <= 2
        ? CompletableFuture.completedFuture(ExecutionTest.respond(c, 9))
        : CompletableFuture.failedFuture(new CallFailed(Failure.RETRYABLE, "replica r0: UNAVAILABLE")));
    List<String> streamed = new ArrayList<>();
    CompletableFuture<PipelineResult> run = compile(allIn("g"), Specs.chat()).run("chat",
        List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT, FakeTime.millis(5000),
        (step, i, v) -> streamed.add(step + "#" + i));
    assertThat(failure(run)).isInstanceOf(SegmentFailedException.class).hasMessageStartingWith("pipeline chat, step reply: ");
    assertThat(streamed).containsExactly("reply#0", "reply#1");
    assertThat(models.segmentCalls()).hasSize(1);
  }

  @Test
  void aRunNobodyStreamsAsksForNoIterationsAndItsSegmentMayBeRetriedAfterItsLoopRan() throws Exception {
    // The first segment call runs the whole loop, then its transport fails retryably: with no
    // listener nothing was streamed, so the segment is attempted again and the run succeeds.
    compile(allIn("g"), Specs.chat()); // loads the plan into the fake worker
    List<IterationListener> given = new ArrayList<>();
    AtomicInteger n = new AtomicInteger();
    ModelInvoker lossy = new SegmentsVia(models) {
      @Override
      public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
          List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener) {
        given.add(listener);
        CompletableFuture<SegmentAnswer> real =
            models.runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, listener);
        return n.getAndIncrement() > 0 ? real : real.thenCompose(a ->
            CompletableFuture.failedFuture(new CallFailed(Failure.RETRYABLE, "replica r0: UNAVAILABLE")));
      }
    };
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), models.signatures(), lossy, time, allIn("g"));
    PipelineResult r = get(p.run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT,
        FakeTime.millis(5000), IterationListener.NONE));
    assertThat(r.output("tokens").strings()).isNotEmpty();
    assertThat(given).hasSize(2).allSatisfy(l -> assertThat(l).isSameAs(IterationListener.NONE));
  }

  @Test
  void aSegmentThatFailsBeforeStreamingIsRetriedWithinTheDeadline() throws Exception {
    CompiledPipelines p = compile(allIn("g"), Specs.recommend());
    String plan = p.segmentPlans().get(0).id();
    // The first call finds the plan missing, as a restarted worker would: retryable.
    AtomicInteger n = new AtomicInteger();
    ModelInvoker flaky = new SegmentsVia(models) {
      @Override
      public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
          List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener) {
        if (n.getAndIncrement() == 0) {
          return CompletableFuture.failedFuture(new CallFailed(Failure.RETRYABLE, "replica r1: UNAVAILABLE"));
        }
        return models.runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, listener);
      }
    };
    CompiledPipelines retried = CompiledPipelines.compile(List.of(Specs.recommend()), models.signatures(), flaky, time,
        allIn("g"));
    assertThat(retried.segmentPlans()).extracting(SegmentPlan::id).containsExactly(plan);
    PipelineResult r = get(retried.run("recommend", List.of(ExecutionTest.userId(3)), RunOptions.DEFAULT,
        FakeTime.millis(5000), IterationListener.NONE));
    assertThat(r.output("items").longs()).hasSize(50);
  }

  // ---- streaming: outputs told early, cancellation ----

  @Test
  void aFusedRunTellsTheSameEventsInTheSameOrderAsThePlainRun() throws Exception {
    RecordingListener fused = new RecordingListener();
    RecordingListener plain = new RecordingListener();
    get(compile(allIn("g"), Specs.chat()).run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT,
        FakeTime.millis(5000), fused));
    get(compile(allIn("g"), Specs.chat().withFuse(false)).run("chat", List.of(ExecutionTest.text("hello")),
        RunOptions.DEFAULT, FakeTime.millis(5000), plain));

    assertThat(fused.events()).containsExactly("output intent=[intent2]", "output confidence=[0.75]",
        "reply#0=[t5]", "reply#1=[t6]", "reply#2=[t7]", "output tokens=[t5, t6, t7]");
    assertThat(plain.events()).isEqualTo(fused.events());
    assertThat(models.segmentCalls()).hasSize(1);
  }

  @Test
  void theIntentIsToldBeforeTheWorkersLoopCallsTheResponder() throws Exception {
    List<Integer> responderCalls = new ArrayList<>();
    RecordingListener events = new RecordingListener().then(e -> {
      if (e.startsWith("output intent")) {
        responderCalls.add(models.calls("responder").size());
      }
    });
    get(compile(allIn("g"), Specs.chat()).run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT,
        FakeTime.millis(5000), events));
    assertThat(responderCalls).containsExactly(0);
  }

  @Test
  void anOutputTheWorkerReportsTwiceIsToldOnce() throws Exception {
    compile(allIn("g"), Specs.chat()); // loads the plan into the fake worker
    ModelInvoker echoing = new SegmentsVia(models) {
      @Override
      public CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
          List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener) {
        return models.runSegment(group, planId, inputs, outputs, maxIterations, timeoutNanos, new IterationListener() {
          @Override
          public void onIteration(String step, int iteration, List<Tensor> values) {
            listener.onIteration(step, iteration, values);
          }

          @Override
          public void onOutput(String output, Tensor value) {
            listener.onOutput(output, value);
            listener.onOutput(output, value);
            listener.onOutput("not.an_output", value);
          }
        });
      }
    };
    RecordingListener events = new RecordingListener();
    CompiledPipelines p = CompiledPipelines.compile(List.of(Specs.chat()), models.signatures(), echoing, time, allIn("g"));
    get(p.run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT, FakeTime.millis(5000), events));
    assertThat(events.events()).containsExactly("output intent=[intent2]", "output confidence=[0.75]",
        "reply#0=[t5]", "reply#1=[t6]", "reply#2=[t7]", "output tokens=[t5, t6, t7]");
  }

  @Test
  void cancellingAFusedRunStopsTheWorkersLoopBeforeItsNextCall() {
    models.handle("responder", FakeModels.hold());
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<PipelineResult>> running =
        new java.util.concurrent.atomic.AtomicReference<>();
    RecordingListener events = new RecordingListener().then(e -> {
      if (e.startsWith("reply#0")) {
        running.get().cancel(false);
      }
    });
    running.set(compile(allIn("g"), Specs.chat()).run("chat", List.of(ExecutionTest.text("hello")), RunOptions.DEFAULT,
        FakeTime.millis(5000), events));
    FakeModels.Call first = models.calls("responder").get(0);
    first.future().complete(ExecutionTest.respond(first, 7));

    assertThat(running.get()).isCancelled();
    assertThat(events.events()).endsWith("reply#0=[t5]");
    // The cancel reached the segment's run in the worker, whose loop checked it before its next call.
    assertThat(models.calls("responder")).hasSize(1);
    time.advanceMillis(60_000);
    assertThat(models.calls("responder")).hasSize(1);
  }

  /** The fake's models, with the test's own way of running segments on them. */
  private abstract static class SegmentsVia implements ModelInvoker {
    private final FakeModels models;

    SegmentsVia(FakeModels models) {
      this.models = models;
    }

    @Override
    public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, long timeout) {
      return models.infer(model, inputs, outputs, timeout);
    }

    @Override
    public Failure classify(Throwable error) {
      return models.classify(error);
    }

    @Override
    public abstract CompletableFuture<SegmentAnswer> runSegment(String group, String planId, List<Tensor> inputs,
        List<String> outputs, int maxIterations, long timeoutNanos, IterationListener listener);
  }

  // ---- pipelines ----

  /** routed (switch, first_of merge) with a decode loop after the classifier. */
  private static PipelineSpec routedWithReply(boolean withDefault) {
    PipelineSpec base = ExecutionTest.routed(withDefault, false);
    List<StepSpec> steps = new ArrayList<>(base.steps());
    steps.add(new StepSpec("reply", Duration.ofMillis(10_000), 1, Specs.replyLoop(24)));
    return new PipelineSpec("routed", Specs.withDecoding(base.inputs()),
        List.of(out("intent", "classify.intent"), out("tokens", "reply.next_token")), steps, true, Specs.CHAT_DEFAULTS);
  }
}
