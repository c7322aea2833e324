package io.junction.engine;

import static io.junction.engine.Specs.bind;
import static io.junction.engine.Specs.model;
import static io.junction.engine.Specs.out;
import static io.junction.engine.Specs.step;
import static io.junction.engine.Specs.t;
import static io.junction.engine.Specs.timed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.FakeModels.Call;
import io.junction.engine.FakeModels.CallFailed;
import io.junction.engine.ModelInvoker.Failure;
import io.junction.engine.StepSpec.Case;
import io.junction.engine.StepSpec.Merge;
import io.junction.engine.StepSpec.Switch;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The execution algorithm against a fake of the pools and a hand-driven clock: no threads, no
 * sleeps. Everything completes synchronously, so the timeout only turns a hang into a failure.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ExecutionTest {
  private final FakeTime time = new FakeTime();
  private final FakeModels pools = new FakeModels(time);

  ExecutionTest() {
    pools.add(Specs.FEATURIZER, FakeModels.answer(ExecutionTest::featurize))
        .add(Specs.INTENT, FakeModels.answer(ExecutionTest::classify))
        .add(Specs.RESPONDER, FakeModels.answer(c -> respond(c, 7)))
        .add(Specs.USER_TOWER, FakeModels.answer(c -> List.of(Tensor.ofFloats("embedding", new long[] {1, Specs.D},
            new float[(int) Specs.D]))))
        .add(Specs.RETRIEVAL, FakeModels.answer(c -> items(c, 200, 1000)))
        .add(Specs.POPULAR, FakeModels.answer(c -> items(c, 50, 5000)))
        .add(Specs.RANKER, FakeModels.answer(ExecutionTest::rank));
  }

  // ---- fake models: simple, deterministic functions of their inputs ----

  /** features[0] is the text's length. */
  static List<Tensor> featurize(Call c) {
    List<String> texts = c.input("text").strings();
    float[] f = new float[texts.size() * 2048];
    for (int i = 0; i < texts.size(); i++) {
      f[i * 2048] = texts.get(i).length();
    }
    return List.of(Tensor.ofFloats("features", new long[] {texts.size(), 2048}, f));
  }

  /** The intent id is the text length modulo 3. */
  static List<Tensor> classify(Call c) {
    float[] f = c.input("features").floats();
    int n = f.length / 2048;
    long[] ids = new long[n];
    List<String> names = new ArrayList<>();
    float[] conf = new float[n];
    for (int i = 0; i < n; i++) {
      ids[i] = (long) f[i * 2048] % 3;
      names.add("intent" + ids[i]);
      conf[i] = 0.75f;
    }
    return List.of(Tensor.ofLongs("intent_id", new long[] {n}, ids), Tensor.ofStrings("intent", new long[] {n}, names),
        Tensor.ofFloats("confidence", new long[] {n}, conf),
        Tensor.ofFloats("probabilities", new long[] {n, Specs.C}, new float[n * (int) Specs.C]));
  }

  /** Next token: 5 after BOS, then one more each step; 2 (EOS) after {@code last}. */
  static List<Tensor> respond(Call c, long last) {
    long[] context = c.input("context").longs();
    long prev = context[context.length - 1];
    long next = prev == 1 ? 5 : prev + 1;
    if (next > last) {
      next = 2;
    }
    return List.of(Tensor.ofFloats("scores", new long[] {1, Specs.V}, new float[(int) Specs.V]),
        Tensor.ofLongs("next_id", new long[] {1}, next), Tensor.ofStrings("next_token", new long[] {1}, List.of("t" + next)));
  }

  static List<Tensor> items(Call c, int count, long base) {
    long[] items = LongStream.range(base, base + count).toArray();
    return List.of(Tensor.ofLongs("items", new long[] {1, count}, items),
        Tensor.ofFloats("scores", new long[] {1, count}, new float[count]));
  }

  /** Returns the first 50 candidates, to show what it was given. */
  static List<Tensor> rank(Call c) {
    long[] candidates = Arrays.copyOf(c.input("candidates").longs(), 50);
    return List.of(Tensor.ofLongs("items", new long[] {1, 50}, candidates),
        Tensor.ofFloats("scores", new long[] {1, 50}, new float[50]));
  }

  // ---- helpers ----

  private Runs compile(PipelineSpec... specs) {
    return new Runs(CompiledPipelines.compile(List.of(specs), pools.signatures(), pools, time));
  }

  /** Runs with a request timeout (null: none), with or without a listener. */
  private record Runs(CompiledPipelines pipelines) {
    CompletableFuture<PipelineResult> run(String name, List<Tensor> inputs, RunOptions options, Long timeoutNanos) {
      return run(name, inputs, options, timeoutNanos, IterationListener.NONE);
    }

    CompletableFuture<PipelineResult> run(String name, List<Tensor> inputs, RunOptions options, Long timeoutNanos,
        IterationListener listener) {
      return pipelines.run(name, inputs, options, timeoutNanos == null ? CompiledPipelines.NO_DEADLINE : timeoutNanos,
          listener);
    }
  }

  static Tensor text(String s) {
    return Tensor.ofStrings("text", new long[] {1}, List.of(s));
  }

  static Tensor userId(long id) {
    return Tensor.ofLongs("user_id", new long[] {1}, id);
  }

  static Throwable failure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    try {
      f.get();
      throw new AssertionError("not failed");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static PipelineSpec featurizeOnly(long timeoutMs, int retries) {
    return new PipelineSpec("features", List.of(t("text", DataType.BYTES, -1)), List.of(out("features", "featurize.features")),
        List.of(timed(model("featurize", "featurizer", bind("text", "input.text")), timeoutMs, retries)));
  }

  private static CallFailed failed(Failure kind) {
    return new CallFailed(kind, "replica r0: " + kind + ": test");
  }

  // ---- a whole pipeline ----

  @Test
  void chatRunsEveryStepAndCollectsTheLoopUntilItsStopValue() throws Exception {
    List<String> streamed = new ArrayList<>();
    PipelineResult r = compile(Specs.chat())
        .run("chat", List.of(text("hello")), RunOptions.DEFAULT, FakeTime.millis(5000),
            (step, i, values) -> streamed.add(step + "#" + i + "=" + values.get(0).strings() + values.get(1).longs()[0]))
        .get();

    assertThat(r.output("intent").strings()).containsExactly("intent2");
    assertThat(r.output("confidence").floats()).containsExactly(0.75f);
    Tensor tokens = r.output("tokens");
    assertThat(tokens.strings()).containsExactly("t5", "t6", "t7");
    assertThat(tokens.shape()).containsExactly(3);
    assertThat(streamed).containsExactly("reply#0=[t5]5", "reply#1=[t6]6", "reply#2=[t7]7");
    // The window: the last two ids, BOS-padded; the stopping iteration's call is made, its value not collected.
    assertThat(pools.calls("responder")).extracting(c -> Arrays.toString(c.input("context").longs()))
        .containsExactly("[1, 1]", "[1, 5]", "[5, 6]", "[6, 7]");
    assertThat(pools.calls("responder")).allSatisfy(c -> assertThat(c.input("intent_id").longs()).containsExactly(2));
    assertThat(r.steps()).extracting(PipelineResult.StepTiming::step).containsExactly("featurize", "classify", "reply");
    assertThat(r.steps()).extracting(PipelineResult.StepTiming::attempts).containsExactly(1, 1, 4);
    assertThat(time.pendingTimers()).isZero();
  }

  @Test
  void modelsAreAskedOnlyForTheOutputsThePipelineReads() throws Exception {
    compile(Specs.chat()).run("chat", List.of(text("hi")), RunOptions.DEFAULT, null).get();
    assertThat(pools.calls("intent").get(0).outputs()).containsExactlyInAnyOrder("intent_id", "intent", "confidence");
  }

  @Test
  void requestedOutputsLimitTheStepsThatRun() throws Exception {
    PipelineResult r = compile(Specs.chat())
        .run("chat", List.of(text("hi")), new RunOptions(List.of("intent"), OptionalInt.empty()), null).get();
    assertThat(r.outputs()).extracting(Tensor::name).containsExactly("intent");
    assertThat(pools.calls("responder")).isEmpty();
  }

  // ---- concurrency and failures ----

  @Test
  void independentStepsRunConcurrentlyAndMergeConcatenatesTheirOutputs() throws Exception {
    pools.handle("retrieval", FakeModels.hold());
    pools.handle("popular", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(Specs.recommend())
        .run("recommend", List.of(userId(7)), RunOptions.DEFAULT, FakeTime.millis(1000));

    // Both are in flight before either answers.
    assertThat(pools.calls("retrieval")).hasSize(1);
    assertThat(pools.calls("popular")).hasSize(1);
    assertThat(run).isNotDone();

    pools.calls("popular").get(0).future().complete(items(null, 50, 5000));
    assertThat(pools.calls("ranker")).isEmpty();
    pools.calls("retrieval").get(0).future().complete(items(null, 200, 1000));

    Tensor candidates = pools.calls("ranker").get(0).input("candidates");
    assertThat(candidates.shape()).containsExactly(1, 250);
    long[] values = candidates.longs();
    assertThat(values[0]).isEqualTo(1000);
    assertThat(values[199]).isEqualTo(1199);
    assertThat(values[200]).isEqualTo(5000);
    assertThat(values[249]).isEqualTo(5049);
    assertThat(run.get().output("items").longs()).startsWith(1000L, 1001L);
  }

  @Test
  void theFirstFailureEndsTheRunOnceAndCancelsWhatIsInFlight() {
    pools.handle("retrieval", FakeModels.hold());
    pools.handle("popular", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(Specs.recommend())
        .run("recommend", List.of(userId(7)), RunOptions.DEFAULT, FakeTime.millis(1000));

    CallFailed first = failed(Failure.FINAL);
    pools.calls("popular").get(0).future().completeExceptionally(first);
    assertThat(pools.calls("retrieval").get(0).future()).isCancelled();
    // A later outcome changes nothing and starts nothing.
    pools.calls("retrieval").get(0).future().obtrudeValue(items(null, 200, 1000));

    Throwable e = failure(run);
    assertThat(e).isInstanceOf(StepFailedException.class)
        .hasMessage("pipeline recommend, step popular: replica r0: FINAL: test")
        .hasCause(first);
    assertThat(((StepFailedException) e).step()).isEqualTo("popular");
    assertThat(pools.calls("ranker")).isEmpty();
    assertThat(pools.calls("popular")).hasSize(1);
  }

  @Test
  void unavailableIsRetriedWithinTheStepsRetries() throws Exception {
    AtomicInteger n = new AtomicInteger();
    pools.handle("featurizer", c -> n.getAndIncrement() == 0
        ? CompletableFuture.failedFuture(failed(Failure.RETRYABLE))
        : CompletableFuture.completedFuture(featurize(c)));
    PipelineResult r = compile(featurizeOnly(1000, 1))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(5000)).get();
    assertThat(r.steps().get(0).attempts()).isEqualTo(2);
    assertThat(r.output("features").floats()[0]).isEqualTo(3f);
  }

  @Test
  void retriesStopWhenTheStepsRetriesAreSpent() {
    pools.handle("featurizer", c -> CompletableFuture.failedFuture(failed(Failure.RETRYABLE)));
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 2))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(5000));
    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasCauseInstanceOf(CallFailed.class);
    assertThat(pools.calls("featurizer")).hasSize(3);
  }

  @Test
  void eachRetryIsToldHowTheEarlierAttemptsFailedSoThatItCanGoElsewhere() throws Exception {
    CallFailed first = failed(Failure.RETRYABLE);
    CallFailed second = failed(Failure.RETRYABLE);
    AtomicInteger n = new AtomicInteger();
    pools.handle("featurizer", c -> switch (n.getAndIncrement()) {
      case 0 -> CompletableFuture.failedFuture(first);
      case 1 -> CompletableFuture.failedFuture(second);
      default -> CompletableFuture.completedFuture(featurize(c));
    });
    PipelineResult r = compile(featurizeOnly(1000, 2))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(5000)).get();

    assertThat(r.steps().get(0).attempts()).isEqualTo(3);
    assertThat(pools.retries()).containsExactly(null, new Retry(2, List.of(first)), new Retry(3, List.of(first, second)));
  }

  @Test
  void aRetryTheInvokerRefusesEndsTheStepWithThatRefusalAndNoFurtherAttempt() {
    CallFailed refused = new CallFailed(Failure.RETRIES_SPENT, "replica r0: UNAVAILABLE: test (not retried: budget spent)");
    AtomicInteger n = new AtomicInteger();
    pools.handle("featurizer", c -> CompletableFuture.failedFuture(
        n.getAndIncrement() == 0 ? failed(Failure.RETRYABLE) : refused));
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 5))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(5000));

    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasCause(refused);
    assertThat(pools.calls("featurizer")).hasSize(2);
  }

  @Test
  void aUsersMistakeIsNotRetried() {
    pools.handle("featurizer", c -> CompletableFuture.failedFuture(failed(Failure.FINAL)));
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 3))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(5000));
    assertThat(failure(run).getCause()).isInstanceOf(CallFailed.class);
    assertThat(pools.calls("featurizer")).hasSize(1);
  }

  @Test
  void unavailableIsNotRetriedOnceTheRequestDeadlineHasPassed() {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 3))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(500));
    // The answer arrives after the deadline, before the (late) timer has fired.
    time.skipMillis(600);
    CallFailed unavailable = failed(Failure.RETRYABLE);
    pools.calls("featurizer").get(0).future().completeExceptionally(unavailable);

    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasCause(unavailable);
    assertThat(pools.calls("featurizer")).hasSize(1);
    time.advanceMillis(1000);
    assertThat(pools.calls("featurizer")).hasSize(1);
  }

  @Test
  void aRequestWhoseDeadlineHasPassedCallsNothing() {
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 3))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(0));
    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasCauseInstanceOf(StepTimeoutException.class)
        .hasMessage("pipeline features, step featurize: request deadline exceeded before attempt 1 of 4 could start");
    assertThat(pools.calls()).isEmpty();
  }

  @Test
  void concurrentAnswersOnOtherThreadsEachEndTheirRunOnce() throws Exception {
    java.util.concurrent.ExecutorService loops = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      // Like gRPC event loops: answers complete on other threads, in any order.
      pools.handle("retrieval", c -> CompletableFuture.supplyAsync(() -> items(c, 200, 1000), loops));
      pools.handle("popular", c -> CompletableFuture.supplyAsync(() -> items(c, 50, 5000), loops));
      Runs p = compile(Specs.recommend());
      List<CompletableFuture<PipelineResult>> runs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        runs.add(p.run("recommend", List.of(userId(i)), RunOptions.DEFAULT, null));
      }
      CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      for (CompletableFuture<PipelineResult> run : runs) {
        assertThat(run.get().output("items").longs()).startsWith(1000L);
      }
      assertThat(pools.calls("ranker")).hasSize(200);
    } finally {
      loops.shutdownNow();
    }
  }

  // ---- time ----

  @Test
  void aStepsTimeoutIsCappedByWhatIsLeftOfTheRequestDeadline() {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 1))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(300));

    Call call = pools.calls("featurizer").get(0);
    assertThat(call.timeoutMillis()).isEqualTo(300);
    time.advanceMillis(299);
    assertThat(run).isNotDone();
    time.advanceMillis(1);

    Throwable e = failure(run);
    assertThat(e).isInstanceOf(StepFailedException.class).hasCauseInstanceOf(StepTimeoutException.class)
        .hasMessage("pipeline features, step featurize: request deadline exceeded after 300 ms in this step"
            + " (the step had that much left of the request's deadline), attempt 1 of 2");
    assertThat(call.future()).isCompletedExceptionally(); // by its own deadline: no engine timer
    assertThat(pools.calls("featurizer")).hasSize(1);
  }

  @Test
  void aStepsOwnTimeoutIsRetriedWithOnlyWhatIsLeftOfTheDeadline() {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(100, 1))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(150));

    time.advanceMillis(100);
    assertThat(pools.calls("featurizer")).hasSize(2);
    assertThat(pools.calls("featurizer").get(0).future()).isCompletedExceptionally();
    assertThat(pools.calls("featurizer").get(1).timeoutMillis()).isEqualTo(50);
    time.advanceMillis(50);

    assertThat(failure(run).getCause()).isInstanceOf(StepTimeoutException.class)
        .hasMessageContaining("request deadline exceeded after 50 ms in this step");
    assertThat(pools.calls("featurizer")).hasSize(2);
  }

  @Test
  void aRetryAfterTheOwnTimeoutCanSucceed() throws Exception {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(100, 1))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(1000));
    time.advanceMillis(100);
    Call second = pools.calls("featurizer").get(1);
    second.future().complete(featurize(second));
    assertThat(run.get().steps().get(0).attempts()).isEqualTo(2);
    assertThat(time.pendingTimers()).isZero();
  }

  @Test
  void theOwnTimeoutFailsTheStepWhenRetriesAreSpent() {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(100, 0))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, null);
    time.advanceMillis(100);
    assertThat(failure(run)).hasMessage(
        "pipeline features, step featurize: timed out after 100 ms (timeout_ms: 100 per attempt), attempt 1 of 1");
  }

  @Test
  void aDeadlineExceededAnswerCountsAsTheStepsTimeout() throws Exception {
    AtomicInteger n = new AtomicInteger();
    pools.handle("featurizer", c -> n.getAndIncrement() == 0
        ? CompletableFuture.failedFuture(failed(Failure.TIMED_OUT))
        : CompletableFuture.completedFuture(featurize(c)));
    PipelineResult r = compile(featurizeOnly(100, 1))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(1000)).get();
    assertThat(r.steps().get(0).attempts()).isEqualTo(2);
  }

  /**
   * The fake pools with a hook into the moment between an attempt failing and the next starting:
   * {@code onClassify} runs when the engine asks what a failure means, {@code beforeCall} when it
   * makes a call (before the call's future exists), as a caller's cancel on another thread could.
   */
  private final class Hooked implements ModelInvoker {
    Runnable onClassify = () -> { };
    Runnable beforeCall = () -> { };

    @Override
    public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
        long timeoutNanos) {
      beforeCall.run();
      return pools.infer(model, inputs, outputs, timeoutNanos);
    }

    @Override
    public Failure classify(Throwable error) {
      onClassify.run();
      return pools.classify(error);
    }

    /** A featurizer step with 3 retries, through this invoker, whose calls the test answers. */
    CompletableFuture<PipelineResult> runHeldFeaturizer() {
      pools.handle("featurizer", FakeModels.hold());
      return new Runs(CompiledPipelines.compile(List.of(featurizeOnly(1000, 3)), pools.signatures(), this, time))
          .run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(5000));
    }
  }

  @Test
  void aCancelBetweenAFailedAttemptAndItsRetryStopsTheRetry() {
    Hooked invoker = new Hooked();
    CompletableFuture<PipelineResult> run = invoker.runHeldFeaturizer();
    invoker.onClassify = () -> run.cancel(false);

    pools.calls("featurizer").get(0).future().completeExceptionally(failed(Failure.RETRYABLE));

    assertThat(run).isCancelled();
    assertThat(pools.calls("featurizer")).as("no attempt after the cancel").hasSize(1);
    time.advanceMillis(5000);
    assertThat(pools.calls("featurizer")).hasSize(1);
  }

  @Test
  void aCancelWhileTheRetryIsBeingMadeCancelsTheRetrysCall() {
    Hooked invoker = new Hooked();
    CompletableFuture<PipelineResult> run = invoker.runHeldFeaturizer();
    // The cancel lands after the engine decided to retry and before it holds the retry's future.
    invoker.beforeCall = () -> run.cancel(false);

    pools.calls("featurizer").get(0).future().completeExceptionally(failed(Failure.RETRYABLE));

    assertThat(run).isCancelled();
    assertThat(pools.calls("featurizer")).hasSize(2);
    assertThat(pools.calls("featurizer")).allSatisfy(c -> assertThat(c.future()).isDone());
    assertThat(pools.calls("featurizer").get(1).future()).isCancelled();
    time.advanceMillis(5000);
    assertThat(pools.calls("featurizer")).hasSize(2);
  }

  @Test
  void cancelsRacingFailedAttemptsOnAnotherThreadLeaveNoCallRunning() throws Exception {
    // The real race, many times: attempt 1 fails on one thread while the caller cancels on another.
    for (int round = 0; round < 300; round++) {
      FakeModels models = new FakeModels(time);
      models.add(Specs.FEATURIZER, FakeModels.hold());
      CompletableFuture<PipelineResult> run = new Runs(CompiledPipelines.compile(List.of(featurizeOnly(1000, 5)),
          models.signatures(), models, time)).run("features", List.of(text("abc")), RunOptions.DEFAULT, null);
      Thread failer = new Thread(() -> models.calls("featurizer").get(0).future()
          .completeExceptionally(failed(Failure.RETRYABLE)));
      failer.start();
      run.cancel(false);
      failer.join(10_000);
      assertThat(models.calls("featurizer")).allSatisfy(c -> assertThat(c.future()).isDone());
    }
  }

  @Test
  void compilingAndRunningPipelinesStartsNoThread() throws Exception {
    // Step timeouts are the transport's deadlines: a compile owns no timer thread to leak.
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    for (int i = 0; i < 20; i++) {
      Runs runs = compile(Specs.chat(), featurizeOnly(100, 1));
      assertThat(runs.run("features", List.of(text("abc")), RunOptions.DEFAULT, FakeTime.millis(1000)).get()
          .output("features").floats()[0]).isEqualTo(3f);
    }
    assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> !before.contains(t) && t.isAlive()).isEmpty();
  }

  @Test
  void cancellingTheRunCancelsTheCallInFlight() {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(featurizeOnly(1000, 1))
        .run("features", List.of(text("abc")), RunOptions.DEFAULT, null);
    run.cancel(false);
    assertThat(pools.calls("featurizer").get(0).future()).isCancelled();
    time.advanceMillis(1000);
    assertThat(pools.calls("featurizer")).hasSize(1);
  }

  @Test
  void aCallerThatEndsTheRunOtherwiseThanByCancelAlsoStopsIt() {
    pools.handle("featurizer", FakeModels.hold());
    CompletableFuture<PipelineResult> run = compile(Specs.chat())
        .run("chat", List.of(text("abc")), RunOptions.DEFAULT, null);
    // As orTimeout() would: the caller gives up while featurize is in flight.
    run.completeExceptionally(new java.util.concurrent.TimeoutException("caller gave up"));
    Call featurize = pools.calls("featurizer").get(0);
    assertThat(featurize.future()).isCancelled();
    // A late answer starts nothing more.
    featurize.future().obtrudeValue(featurize(featurize));
    time.advanceMillis(60_000);
    assertThat(pools.calls()).hasSize(1);
  }

  // ---- switch, merge, first_of, stall ----

  /**
   * route 0 runs a, 1 runs b, anything else c (with a default; without one, there is no c, since
   * a step named in no branch always runs); first_of picks whichever ran.
   */
  static PipelineSpec routed(boolean withDefault, boolean extraOutput) {
    List<TensorRef> branches = new ArrayList<>(List.of(TensorRef.parse("a.features"), TensorRef.parse("b.features")));
    List<StepSpec> steps = new ArrayList<>(List.of(
        step("route", new Switch(TensorRef.parse("input.route"),
            List.of(new Case("0", List.of("a")), new Case("1", List.of("b"))), withDefault ? List.of("c") : List.of())),
        model("a", "featurizer", bind("text", "input.text")),
        model("b", "featurizer", bind("text", "input.text"))));
    if (withDefault) {
      steps.add(model("c", "featurizer", bind("text", "input.text")));
      branches.add(TensorRef.parse("c.features"));
    }
    steps.addAll(List.of(
        step("features", new Merge(Merge.Mode.FIRST_OF, branches, 0, "features")),
        model("classify", "intent", bind("features", "features.features")),
        model("after_a", "intent", bind("features", "a.features"))));
    List<PipelineSpec.Output> outs = new ArrayList<>(List.of(out("intent", "classify.intent")));
    if (extraOutput) {
      outs.add(out("a_intent", "after_a.intent"));
    } else {
      steps.remove(steps.size() - 1);
    }
    return new PipelineSpec("routed", List.of(t("route", DataType.INT64, -1), t("text", DataType.BYTES, 1)), outs, steps);
  }

  private CompletableFuture<PipelineResult> route(PipelineSpec spec, long... route) {
    return compile(spec).run("routed", List.of(Tensor.ofLongs("route", new long[] {route.length}, route), text("hello")),
        RunOptions.DEFAULT, FakeTime.millis(1000));
  }

  @Test
  void aSwitchRunsOnlyTheChosenBranchAndFirstOfTakesItsOutput() throws Exception {
    PipelineResult r = route(routed(true, false), 1).get();
    assertThat(r.output("intent").strings()).containsExactly("intent2");
    assertThat(pools.calls("featurizer")).hasSize(1);
    assertThat(r.steps()).extracting(PipelineResult.StepTiming::step)
        .containsExactly("route", "b", "features", "classify");
  }

  @Test
  void aSwitchTakesItsDefaultWhenNoCaseMatches() throws Exception {
    PipelineResult r = route(routed(true, false), 42).get();
    assertThat(r.steps()).extracting(PipelineResult.StepTiming::step)
        .containsExactly("route", "c", "features", "classify");
  }

  @Test
  void aStepThatNeedsASkippedStepIsSkippedAndMissingOutputsEndTheRun() {
    CompletableFuture<PipelineResult> run = route(routed(true, true), 1);
    assertThat(failure(run)).isInstanceOf(PipelineStalledException.class)
        .hasMessage("pipeline routed: outputs a_intent: not produced, step(s) after_a were skipped by a switch"
            + " (expected: requested outputs to come from steps that run; merge branches with first_of)");
    // Decided as soon as the switch chose: nothing more is started for a run that cannot succeed.
    assertThat(pools.calls()).isEmpty();
  }

  @Test
  void aSwitchWithNoMatchingCaseAndNoDefaultSkipsEverythingDownstream() {
    CompletableFuture<PipelineResult> run = route(routed(false, false), 42);
    assertThat(failure(run)).isInstanceOf(PipelineStalledException.class)
        .hasMessageContaining("outputs intent: not produced, step(s) classify were skipped by a switch");
    assertThat(pools.calls()).isEmpty();
  }

  @Test
  void aSwitchOnMoreThanOneValueIsAnInputError() {
    CompletableFuture<PipelineResult> run = route(routed(true, false), 0, 1);
    assertThat(failure(run)).isInstanceOf(PipelineInputException.class)
        .hasMessage("pipeline routed, step route: switch value route: 2 elements, shape [2] (expected: exactly one,"
            + " a switch routes a batch of 1)");
  }

  @Test
  void aSwitchOnTextMatchesItsCasesAsText() throws Exception {
    PipelineSpec spec = new PipelineSpec("by_intent", Specs.withDecoding(List.of(t("text", DataType.BYTES, 1))),
        List.of(out("tokens", "reply.next_token")),
        List.of(model("featurize", "featurizer", bind("text", "input.text")),
            model("classify", "intent", bind("features", "featurize.features")),
            step("route", new Switch(TensorRef.parse("classify.intent"),
                List.of(new Case("intent2", List.of("reply"))), List.of())),
            step("reply", Specs.replyLoop(24))), true, Specs.CHAT_DEFAULTS);
    Runs p = compile(spec);
    assertThat(p.run("by_intent", List.of(text("abcde")), RunOptions.DEFAULT, null).get()
        .output("tokens").strings()).containsExactly("t5", "t6", "t7");
    assertThat(failure(p.run("by_intent", List.of(text("abcd")), RunOptions.DEFAULT, null)))
        .isInstanceOf(PipelineStalledException.class);
  }

  // ---- loops ----

  @Test
  void aLoopStopsAtItsMaximumAndRunOptionsMayLowerIt() throws Exception {
    pools.handle("responder", FakeModels.answer(c -> respond(c, Long.MAX_VALUE)));
    PipelineSpec spec = Specs.withSteps(Specs.chat(), List.of(Specs.chat().steps().get(0), Specs.chat().steps().get(1), step("reply", Specs.replyLoop(4))));
    Runs p = compile(spec);

    assertThat(p.run("chat", List.of(text("hello")), RunOptions.DEFAULT, null).get().output("tokens").strings())
        .containsExactly("t5", "t6", "t7", "t8");
    PipelineResult lowered = p.run("chat", List.of(text("hello")), new RunOptions(List.of(), OptionalInt.of(2)), null).get();
    assertThat(lowered.output("tokens").strings()).containsExactly("t5", "t6");
    assertThat(lowered.steps().get(2).attempts()).isEqualTo(2);
    // A request cannot raise it.
    assertThat(p.run("chat", List.of(text("hello")), new RunOptions(List.of(), OptionalInt.of(99)), null).get()
        .output("tokens").shape()).containsExactly(4);
  }

  @Test
  void aLoopThatStopsAtOnceCollectsEmptyTensors() throws Exception {
    pools.handle("responder", FakeModels.answer(c -> respond(c, 4)));
    Tensor tokens = compile(Specs.chat()).run("chat", List.of(text("hello")), RunOptions.DEFAULT, null).get()
        .output("tokens");
    assertThat(tokens.shape()).containsExactly(0);
    assertThat(tokens.datatype()).isEqualTo(DataType.BYTES);
  }

  @Test
  void aLongLoopOfImmediateAnswersDoesNotGrowTheStack() throws Exception {
    pools.handle("responder", FakeModels.answer(c -> respond(c, Long.MAX_VALUE)));
    PipelineSpec spec = Specs.withSteps(Specs.chat(), List.of(Specs.chat().steps().get(0), Specs.chat().steps().get(1), step("reply", Specs.replyLoop(20_000))));
    assertThat(compile(spec).run("chat", List.of(text("hello")), RunOptions.DEFAULT, null).get()
        .output("tokens").shape()).containsExactly(20_000);
  }

  @Test
  void aLoopFedABatchLargerThanOneIsAnInputError() {
    PipelineSpec spec = new PipelineSpec("decode", Specs.withDecoding(List.of(t("intent_id", DataType.INT64, -1))),
        List.of(out("tokens", "reply.next_token")),
        List.of(step("reply", new StepSpec.Loop("responder", Specs.replyInputs("input.intent_id"),
            new StepSpec.Feedback("context", "next_id", 2, 1), List.of("next_token"), Optional.empty(), 8,
            Optional.of("iteration")))), true, Specs.CHAT_DEFAULTS);
    CompletableFuture<PipelineResult> run = compile(spec)
        .run("decode", List.of(Tensor.ofLongs("intent_id", new long[] {3}, 0, 1, 2)), RunOptions.DEFAULT, null);
    assertThat(failure(run)).isInstanceOf(PipelineInputException.class)
        .hasMessage("pipeline decode, step reply: loop input intent_id: batch of 3 (expected: 1, a loop runs one sequence)");
    assertThat(pools.calls("responder")).isEmpty();
  }

  @Test
  void aLoopNeedNotCollectItsFeedbackOrStopOutput() throws Exception {
    // Only next_token is collected: next_id is asked for the feedback and the stop condition alone,
    // so the plan knows no spec to check it against.
    PipelineSpec spec = new PipelineSpec("decode", Specs.withDecoding(List.of(t("intent_id", DataType.INT64, 1))),
        List.of(out("tokens", "reply.next_token")),
        List.of(step("reply", new StepSpec.Loop("responder", Specs.replyInputs("input.intent_id"),
            new StepSpec.Feedback("context", "next_id", 2, 1), List.of("next_token"),
            Optional.of(new StepSpec.Until("next_id", "2")), 24, Optional.of("iteration")))), true, Specs.CHAT_DEFAULTS);
    PipelineResult r = compile(spec)
        .run("decode", List.of(Tensor.ofLongs("intent_id", new long[] {1}, 0)), RunOptions.DEFAULT, null).get();
    assertThat(r.output("tokens").strings()).containsExactly("t5", "t6", "t7");
    assertThat(pools.calls("responder")).extracting(c -> Arrays.toString(c.input("context").longs()))
        .containsExactly("[1, 1]", "[1, 5]", "[5, 6]", "[6, 7]");
  }

  @Test
  void aModelThatAnswersAnOutputOfAnotherRankIsAnInternalErrorNamingIt() {
    pools.handle("featurizer", FakeModels.answer(c -> List.of(Tensor.ofFloats("features", new long[] {2048}, new float[2048]))));
    assertThatThrownBy(() -> compile(featurizeOnly(1000, 1))
        .run("features", List.of(text("a")), RunOptions.DEFAULT, null).get())
        .hasCauseInstanceOf(StepFailedException.class)
        .hasRootCauseInstanceOf(IllegalStateException.class)
        .hasRootCauseMessage("model featurizer answered output features as FP32 [2048] (expected: FP32 [-1, 2048], its signature)");
  }

  @Test
  void aLoopsTimeoutCoversTheWholeLoopAndIsCheckedBetweenIterations() {
    pools.handle("responder", FakeModels.hold());
    PipelineSpec spec = Specs.withSteps(Specs.chat(), List.of(Specs.chat().steps().get(0), Specs.chat().steps().get(1),
            new StepSpec("reply", Duration.ofMillis(500), 1, Specs.replyLoop(24))));
    CompletableFuture<PipelineResult> run = compile(spec)
        .run("chat", List.of(text("hello")), RunOptions.DEFAULT, FakeTime.millis(10_000));
    time.advanceMillis(300);
    Call first = pools.calls("responder").get(0);
    first.future().complete(respond(first, 9));
    // The second iteration gets only what is left of the loop's 500 ms.
    assertThat(pools.calls("responder").get(1).timeoutMillis()).isEqualTo(200);
    time.advanceMillis(200);
    assertThat(failure(run)).isInstanceOf(StepFailedException.class)
        .hasMessage("pipeline chat, step reply: timed out after 200 ms (timeout_ms: 500 for the whole loop), attempt 1 of 2");
    assertThat(pools.calls("responder")).hasSize(2);
  }

  @Test
  void aListenerThatThrowsFailsTheLoopStep() {
    CompletableFuture<PipelineResult> run = compile(Specs.chat()).run("chat", List.of(text("hello")), RunOptions.DEFAULT,
        null, (step, i, values) -> {
          throw new IllegalStateException("stream closed");
        });
    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasMessage("pipeline chat, step reply: stream closed");
    assertThat(pools.calls("responder")).hasSize(1);
  }

  // ---- streaming: outputs told early, cancellation between iterations ----

  @Test
  void eachOutputIsToldOnceAsSoonAsItsStepIsDoneBeforeTheLoopThatReadsItIterates() throws Exception {
    List<Integer> responderCallsWhenIntentTold = new ArrayList<>();
    RecordingListener events = new RecordingListener().then(e -> {
      if (e.startsWith("output intent=")) {
        responderCallsWhenIntentTold.add(pools.calls("responder").size());
      }
    });
    PipelineResult r = compile(Specs.chat())
        .run("chat", List.of(text("hello")), RunOptions.DEFAULT, FakeTime.millis(5000), events).get();

    assertThat(events.events()).containsExactly("output intent=[intent2]", "output confidence=[0.75]",
        "reply#0=[t5]", "reply#1=[t6]", "reply#2=[t7]", "output tokens=[t5, t6, t7]");
    // Told before the loop's first call was even made, not only before its first iteration.
    assertThat(responderCallsWhenIntentTold).containsExactly(0);
    assertThat(r.output("intent").strings()).containsExactly("intent2");
    assertThat(r.output("tokens").strings()).containsExactly("t5", "t6", "t7");
  }

  @Test
  void onlyRequestedOutputsAreTold() throws Exception {
    RecordingListener events = new RecordingListener();
    compile(Specs.chat()).run("chat", List.of(text("hello")), new RunOptions(List.of("intent"), OptionalInt.empty()),
        FakeTime.millis(5000), events).get();
    // The loop feeds no requested output: it is pruned, and only the intent is told.
    assertThat(events.events()).containsExactly("output intent=[intent2]");
  }

  /** A listener whose stream breaks when it is told {@code output}. */
  private static IterationListener throwingOn(String output) {
    return new IterationListener() {
      @Override
      public void onIteration(String step, int iteration, List<Tensor> values) {}

      @Override
      public void onOutput(String name, Tensor value) {
        if (name.equals(output)) {
          throw new IllegalStateException("stream closed");
        }
      }
    };
  }

  @Test
  void aListenerThatThrowsOnAnOutputFailsTheRunAndStartsNothingMore() {
    CompletableFuture<PipelineResult> run = compile(Specs.chat()).run("chat", List.of(text("hello")),
        RunOptions.DEFAULT, null, throwingOn("intent"));
    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasMessage("pipeline chat, step classify: stream closed");
    assertThat(pools.calls("responder")).isEmpty();
  }

  @Test
  void aListenerThatThrowsOnTheLastOutputFailsTheRunInsteadOfCompletingIt() {
    CompletableFuture<PipelineResult> run = compile(Specs.chat()).run("chat", List.of(text("hello")),
        RunOptions.DEFAULT, null, throwingOn("tokens"));
    assertThat(failure(run)).isInstanceOf(StepFailedException.class).hasMessage("pipeline chat, step reply: stream closed");
  }

  @Test
  void cancellingTheRunDuringAnIterationStopsTheLoopBeforeItsNextCall() {
    pools.handle("responder", FakeModels.hold());
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<PipelineResult>> running =
        new java.util.concurrent.atomic.AtomicReference<>();
    RecordingListener events = new RecordingListener().then(e -> {
      if (e.startsWith("reply#0")) {
        running.get().cancel(false);
      }
    });
    running.set(compile(Specs.chat()).run("chat", List.of(text("hello")), RunOptions.DEFAULT, null, events));
    Call first = pools.calls("responder").get(0);
    first.future().complete(respond(first, 7));

    assertThat(running.get()).isCancelled();
    assertThat(events.events()).containsExactly("output intent=[intent2]", "output confidence=[0.75]", "reply#0=[t5]");
    // The iteration was taken, and the loop checked the run before calling the model again.
    assertThat(pools.calls("responder")).hasSize(1);
    time.advanceMillis(60_000);
    assertThat(pools.calls("responder")).hasSize(1);
  }

  // ---- the request's own inputs ----

  @Test
  void inputsAreCheckedAgainstTheDeclaredOnes() {
    Runs p = compile(Specs.chat(), Specs.recommend());
    assertThat(failure(p.run("chat", List.of(), RunOptions.DEFAULT, null)))
        .isInstanceOf(PipelineInputException.class).hasMessage("text: missing (expected inputs: text BYTES [1], temperature FP32 [1] (optional), top_k INT32 [1]"
            + " (optional), seed INT64 [1] (optional))");
    assertThat(failure(p.run("chat", List.of(text("a"), userId(1)), RunOptions.DEFAULT, null)))
        .isInstanceOf(PipelineInputException.class)
        .hasMessage("user_id: not an input of pipeline chat (expected inputs: text BYTES [1], temperature FP32 [1] (optional), top_k INT32 [1]"
            + " (optional), seed INT64 [1] (optional))");
    assertThat(failure(p.run("chat", List.of(text("a"), text("b")), RunOptions.DEFAULT, null)))
        .hasMessage("text: given twice (expected: each input once)");
    assertThat(failure(p.run("chat", List.of(Tensor.ofLongs("text", new long[] {1}, 1)), RunOptions.DEFAULT, null)))
        .hasMessage("text.datatype: INT64 (expected: BYTES)");
    assertThat(failure(p.run("chat", List.of(Tensor.ofStrings("text", new long[] {2}, List.of("a", "b"))),
        RunOptions.DEFAULT, null)))
        .hasMessage("text.shape: [2] (expected: [1], where -1 matches any size)");
    assertThat(failure(p.run("chat", List.of(text("a")), new RunOptions(List.of("reply"), OptionalInt.empty()), null)))
        .isInstanceOf(PipelineInputException.class)
        .hasMessage("outputs: \"reply\" (expected: outputs of pipeline chat: intent, confidence, tokens)");
    assertThat(failure(p.run("chat", List.of(text("a")), new RunOptions(List.of(), OptionalInt.of(0)), null)))
        .isInstanceOf(PipelineInputException.class).hasMessage("max_iterations: 0 (expected: >= 1)");
    assertThat(failure(p.run("chatt", List.of(text("a")), RunOptions.DEFAULT, null)))
        .isInstanceOf(UnknownPipelineException.class)
        .hasMessage("pipeline: \"chatt\" (expected: one of [chat, recommend])");
    assertThat(pools.calls()).isEmpty();
  }

  @Test
  void minusOneInADeclaredShapeMatchesAnySize() throws Exception {
    PipelineResult r = compile(featurizeOnly(1000, 1)).run("features",
        List.of(Tensor.ofStrings("text", new long[] {3}, List.of("a", "bb", "ccc"))), RunOptions.DEFAULT, null).get();
    assertThat(r.output("features").shape()).containsExactly(3, 2048);
    assertThat(IntStream.range(0, 3).mapToObj(i -> r.output("features").floats()[i * 2048]).toList())
        .containsExactly(1f, 2f, 3f);
  }

  @Test
  void aModelThatAnswersWithoutAnAskedOutputIsAnInternalError() {
    pools.handle("featurizer", FakeModels.answer(c -> List.of()));
    assertThatThrownBy(() -> compile(featurizeOnly(1000, 1))
        .run("features", List.of(text("a")), RunOptions.DEFAULT, null).get())
        .hasCauseInstanceOf(StepFailedException.class)
        .hasRootCauseInstanceOf(IllegalStateException.class)
        .hasRootCauseMessage("model featurizer answered without output features (got: [])");
  }
}
