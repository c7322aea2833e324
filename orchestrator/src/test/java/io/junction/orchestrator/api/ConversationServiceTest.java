package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.Status.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineResult;
import io.junction.engine.StepFailedException;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConversationServiceTest {
  private static final FakePipelines pipelines = new FakePipelines();
  private static final AtomicLong clock = new AtomicLong();
  private static InProcess grpc;
  private static ConversationServiceGrpc.ConversationServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    pipelines.put(FakePipelines.chat(), (in, o, d) -> reply());
    grpc = new InProcess(new ConversationService(pipelines, ApiLimits.DEFAULT, clock::get));
    stub = ConversationServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterAll
  static void stop() {
    grpc.close();
  }

  @BeforeEach
  void reset() {
    pipelines.answer("chat", (in, o, d) -> reply());
    pipelines.forget();
  }

  private static CompletableFuture<PipelineResult> reply() {
    return FakePipelines.done("chat",
        Tensor.ofStrings("intent", new long[] {1}, List.of("book_flight")),
        Tensor.ofFloats("confidence", new long[] {1}, 0.97f),
        Tensor.ofStrings("tokens", new long[] {4}, List.of("sure", ",", "where", "to?")));
  }

  private static ConverseRequest text(String text) {
    return ConverseRequest.newBuilder().setText(text).build();
  }

  /** How Converse fails; ConverseStream must fail the same way, with the same code and message. */
  private static StatusRuntimeException failure(ConverseRequest request) {
    StatusRuntimeException unary = null;
    try {
      stub.converse(request);
    } catch (StatusRuntimeException e) {
      unary = e;
    }
    if (unary == null) {
      throw new AssertionError("call succeeded: " + request);
    }
    StatusRuntimeException streamed = null;
    try {
      stub.converseStream(request).forEachRemaining(e -> {});
    } catch (StatusRuntimeException e) {
      streamed = e;
    }
    assertThat(streamed).as("ConverseStream of " + request).isNotNull();
    assertThat(streamed.getStatus().getCode()).isEqualTo(unary.getStatus().getCode());
    assertThat(streamed.getStatus().getDescription()).isEqualTo(unary.getStatus().getDescription());
    return unary;
  }

  private static List<ConverseEvent> stream(ConverseRequest request) {
    List<ConverseEvent> events = new ArrayList<>();
    stub.converseStream(request).forEachRemaining(events::add);
    return events;
  }

  private static String show(ConverseEvent e) {
    return switch (e.getEventCase()) {
      case INTENT -> "intent " + e.getIntent().getIntent() + " " + e.getIntent().getConfidence();
      case TOKEN -> "token " + e.getToken();
      case DONE -> "done " + e.getDone().getReply();
      default -> "unset";
    };
  }

  /** A chat run that tells what a real one does: the intent, then each token, the clock moving on. */
  private static CompletableFuture<PipelineResult> streamed(IterationListener listener, boolean tokensFirst) {
    Runnable intent = () -> {
      listener.onOutput("intent", Tensor.ofStrings("intent", new long[] {1}, List.of("book_flight")));
      listener.onOutput("confidence", Tensor.ofFloats("confidence", new long[] {1}, 0.97f));
    };
    if (!tokensFirst) {
      intent.run();
    }
    clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(100));
    List<String> tokens = List.of("sure", ",", "where", "to?");
    for (int i = 0; i < tokens.size(); i++) {
      // Another loop's values and other collected outputs are not tokens.
      listener.onIteration("other", i, List.of(Tensor.ofStrings("next_token", new long[] {1}, List.of("x"))));
      listener.onIteration("decode", i, List.of(Tensor.ofLongs("next_id", new long[] {1}, 7),
          Tensor.ofStrings("next_token", new long[] {1}, List.of(tokens.get(i)))));
    }
    if (tokensFirst) {
      intent.run();
    }
    clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(200));
    return reply();
  }

  @Test
  void answersWithIntentConfidenceAndTokensJoinedBySpaces() {
    pipelines.answer("chat", (in, o, d) -> {
      clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(1234));
      return reply();
    });
    ConverseResponse r = stub.converse(ConverseRequest.newBuilder().setText("  book me a flight ").setSessionId("s-1:a.b_c").build());
    assertThat(r.getIntent()).isEqualTo("book_flight");
    assertThat(r.getConfidence()).isEqualTo(0.97f);
    assertThat(r.getTokensList()).containsExactly("sure", ",", "where", "to?");
    assertThat(r.getReply()).isEqualTo("sure , where to?");
    assertThat(r.getSessionId()).isEqualTo("s-1:a.b_c");
    assertThat(r.getLatencyMicros()).isEqualTo(1234);
  }

  @Test
  void sendsTheTrimmedTextAsOneBytesElement() {
    stub.converse(text("  hello there\n"));
    FakePipelines.Call call = pipelines.last();
    assertThat(call.pipeline()).isEqualTo("chat");
    assertThat(call.inputs()).hasSize(1);
    Tensor t = call.inputs().get(0);
    assertThat(t.name()).isEqualTo("text");
    assertThat(t.shape()).containsExactly(1);
    assertThat(t.strings()).containsExactly("hello there");
    assertThat(call.options().maxIterations()).isEmpty();
  }

  @Test
  void maxTokensCapsTheDecodeLoop() {
    stub.converse(ConverseRequest.newBuilder().setText("hi").setMaxTokens(64).build());
    assertThat(pipelines.last().options().maxIterations()).isEqualTo(OptionalInt.of(64));
    stub.converse(ConverseRequest.newBuilder().setText("hi").setMaxTokens(1).build());
    assertThat(pipelines.last().options().maxIterations()).isEqualTo(OptionalInt.of(1));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''         | text: empty (expected: 1 to 2000 characters)",
      "'   '      | text: empty (expected: 1 to 2000 characters)",
      "'\t\n '    | text: empty (expected: 1 to 2000 characters)"})
  void emptyOrBlankTextIsInvalid(String text, String message) {
    StatusRuntimeException e = failure(text(text));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo(message);
    assertThat(pipelines.last()).as("the pipeline is not called").isNull();
  }

  @Test
  void textOverTheLimitIsInvalidAndAtTheLimitIsServed() {
    StatusRuntimeException e = failure(text("a".repeat(2001)));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("text: 2001 characters (expected: 1 to 2000 characters)");
    // characters, not UTF-16 units: 2000 emoji are 4000 chars in Java and still fit
    assertThat(stub.converse(text("\uD83D\uDE00".repeat(2000))).getIntent()).isEqualTo("book_flight");
    assertThat(stub.converse(text(" " + "a".repeat(2000) + " ")).getIntent()).isEqualTo("book_flight");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "has space", "slash/no", "émile", "semi;colon"})
  void sessionIdWithOtherCharactersIsInvalid(String id) {
    StatusRuntimeException e = failure(ConverseRequest.newBuilder().setText("hi").setSessionId(id).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("session_id: \"" + id + "\" (expected: 1 to 128 characters of [A-Za-z0-9._:-])");
  }

  @Test
  void sessionIdOf128IsServedAnd129IsInvalid() {
    assertThat(stub.converse(ConverseRequest.newBuilder().setText("hi").setSessionId("s".repeat(128)).build())
        .getSessionId()).hasSize(128);
    StatusRuntimeException e = failure(ConverseRequest.newBuilder().setText("hi").setSessionId("s".repeat(129)).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).startsWith("session_id: \"ssss").contains("(129 characters)")
        .endsWith("(expected: 1 to 128 characters of [A-Za-z0-9._:-])");
  }

  @Test
  void theSessionIdIsTheRunsAffinityKey() {
    stub.converse(ConverseRequest.newBuilder().setText("hi").setSessionId("user-7:chat").build());
    assertThat(pipelines.last().options().affinityKey()).hasValue("user-7:chat");
    stub.converse(text("hi"));
    assertThat(pipelines.last().options().affinityKey()).as("no session, no key").isEmpty();
  }

  @ParameterizedTest
  @CsvSource({"-1", "65", "2147483647", "-2147483648"})
  void maxTokensOutside0To64IsInvalid(int maxTokens) {
    StatusRuntimeException e = failure(ConverseRequest.newBuilder().setText("hi").setMaxTokens(maxTokens).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("max_tokens: " + maxTokens + " (expected: 0..64)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "3.5       | 0  | temperature: 3.5 (expected: 0 to 2)",
      "-0.1      | 0  | temperature: -0.1 (expected: 0 to 2)",
      "NaN       | 0  | temperature: NaN (expected: 0 to 2)",
      "Infinity  | 0  | temperature: Infinity (expected: 0 to 2)",
      "1         | -1 | top_k: -1 (expected: 0 to 1000)",
      "0         | 1001 | top_k: 1001 (expected: 0 to 1000)"})
  void decodingOptionsOutOfRangeAreInvalidAndNameTheRange(float temperature, int topK, String message) {
    StatusRuntimeException e = failure(ConverseRequest.newBuilder().setText("hi").setTemperature(temperature)
        .setTopK(topK).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo(message);
    assertThat(pipelines.last()).as("the pipeline is not called").isNull();
  }

  @Test
  void aGreedyRequestGivesNoDecodingInputsAndReportsNoSeed() {
    ConverseResponse r = stub.converse(ConverseRequest.newBuilder().setText("hi").setTopK(5).setSeed(9).build());
    assertThat(pipelines.last().inputs()).extracting(Tensor::name).containsExactly("text");
    assertThat(r.getSeed()).isZero();
  }

  @Test
  void aSamplingRequestGivesItsOptionsAsInputsWithItsSeedOrADrawnOne() {
    ConverseResponse r = stub.converse(ConverseRequest.newBuilder().setText("hi").setTemperature(0.7f).setTopK(5)
        .setSeed(-3L).build());
    List<Tensor> in = pipelines.last().inputs();
    assertThat(in).extracting(Tensor::name).containsExactly("text", "temperature", "top_k", "seed");
    assertThat(in.get(1).floats()).containsExactly(0.7f);
    assertThat(in.get(2).ints()).containsExactly(5);
    assertThat(in.get(3).longs()).as("the uint64's bits").containsExactly(-3L);
    assertThat(r.getSeed()).isEqualTo(-3L);

    ConverseResponse drawn = stub.converse(ConverseRequest.newBuilder().setText("hi").setTemperature(2f).build());
    assertThat(drawn.getSeed()).isNotZero();
    assertThat(pipelines.last().inputs().get(3).longs()).containsExactly(drawn.getSeed());
    List<ConverseEvent> events = stream(ConverseRequest.newBuilder().setText("hi").setTemperature(1f).setSeed(11).build());
    assertThat(events.get(events.size() - 1).getDone().getSeed()).isEqualTo(11);
  }

  @Test
  void aFailedStepKeepsItsCodeAndIsNamed() {
    pipelines.answer("chat", (in, o, d) ->
        CompletableFuture.failedFuture(new StepFailedException("chat", "classify", new NoReadyReplicaException("conv", "1 FAILED"))));
    StatusRuntimeException e = failure(text("hi"));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("pipeline chat, step classify: pool conv: no ready replica (1 FAILED)");
  }

  @Test
  void aPipelineThatThrowsInsteadOfFailingTheFutureIsStillAnswered() {
    pipelines.answer("chat", (in, o, d) -> {
      throw new StepFailedException("chat", "decode", new io.junction.engine.StepTimeoutException("3 s"));
    });
    assertThat(failure(text("hi")).getStatus().getCode()).isEqualTo(Code.DEADLINE_EXCEEDED);
  }

  @Test
  void aCallWithoutDeadlineGetsTheDefaultOne() {
    stub.converse(text("hi"));
    long remaining = pipelines.last().deadline().timeRemaining(TimeUnit.SECONDS);
    assertThat(remaining).isBetween(0L, 30L);
  }

  @Test
  void theClientsDeadlineIsPassedOn() {
    stub.withDeadlineAfter(10, TimeUnit.MINUTES).converse(text("hi"));
    assertThat(pipelines.last().deadline().timeRemaining(TimeUnit.SECONDS)).isGreaterThan(60L);
  }

  @Test
  void aClientThatGoesAwayCancelsTheRun() throws Exception {
    CompletableFuture<PipelineResult> pending = new CompletableFuture<>();
    pipelines.answer("chat", (in, o, d) -> pending);
    Context.CancellableContext ctx = Context.current().withCancellation();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    ctx.run(() -> ConversationServiceGrpc.newStub(grpc.channel).converse(text("hi"), new StreamObserver<>() {
      @Override public void onNext(ConverseResponse value) {}
      @Override public void onError(Throwable t) { outcome.complete(t); }
      @Override public void onCompleted() { outcome.complete(null); }
    }));
    assertThat(pipelines.last()).as("the run started").isNotNull();
    ctx.cancel(null);
    assertThat(Status.fromThrowable(outcome.get(10, TimeUnit.SECONDS)).getCode()).isEqualTo(Code.CANCELLED);
    // bounded wait: cancellation reaches the server on the transport's thread
    for (int i = 0; i < 1000 && !pending.isCancelled(); i++) {
      Thread.sleep(10);
    }
    assertThat(pending.isCancelled()).isTrue();
  }

  @Test
  void converseStreamSendsTheIntentThenEachTokenAsItComesThenTheWholeReply() {
    pipelines.answerStreaming("chat", (in, o, d, listener) -> streamed(listener, false));
    List<ConverseEvent> events = stream(ConverseRequest.newBuilder().setText("book me a flight").setSessionId("s1").build());

    assertThat(events).extracting(ConversationServiceTest::show).containsExactly("intent book_flight 0.97",
        "token sure", "token ,", "token where", "token to?", "done sure , where to?");
    ConverseResponse done = events.get(events.size() - 1).getDone();
    assertThat(done.getTokensList()).containsExactly("sure", ",", "where", "to?");
    assertThat(done.getSessionId()).isEqualTo("s1");
    assertThat(done.getFirstTokenMicros()).isEqualTo(100);
    assertThat(done.getTotalMicros()).isEqualTo(300);
    assertThat(done.getLatencyMicros()).isEqualTo(300);
  }

  @Test
  void tokensToldBeforeTheIntentWaitForIt() {
    pipelines.answerStreaming("chat", (in, o, d, listener) -> streamed(listener, true));
    assertThat(stream(text("book me a flight"))).extracting(ConversationServiceTest::show).containsExactly(
        "intent book_flight 0.97", "token sure", "token ,", "token where", "token to?", "done sure , where to?");
  }

  @Test
  void aPipelineThatTellsNothingStillGivesTheIntentFirstThenTheTokensOfItsReply() {
    List<ConverseEvent> events = stream(text("hi"));
    assertThat(events).extracting(ConversationServiceTest::show).containsExactly("intent book_flight 0.97",
        "token sure", "token ,", "token where", "token to?", "done sure , where to?");
    // Its first token went out with the whole reply.
    ConverseResponse done = events.get(events.size() - 1).getDone();
    assertThat(done.getFirstTokenMicros()).isEqualTo(done.getTotalMicros());
  }

  @Test
  void converseAndConverseStreamRunThePipelineAlike() {
    stub.converse(ConverseRequest.newBuilder().setText("  hello there\n").setMaxTokens(5).build());
    FakePipelines.Call unary = pipelines.last();
    stream(ConverseRequest.newBuilder().setText("  hello there\n").setMaxTokens(5).build());
    FakePipelines.Call streamed = pipelines.last();
    assertThat(streamed.pipeline()).isEqualTo(unary.pipeline());
    assertThat(streamed.inputs()).isEqualTo(unary.inputs());
    assertThat(streamed.options()).isEqualTo(unary.options());
  }

  @Test
  void aUnaryReplysFirstTokenComesWithTheWholeReply() {
    pipelines.answer("chat", (in, o, d) -> {
      clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(50));
      return reply();
    });
    ConverseResponse r = stub.converse(text("hi"));
    assertThat(r.getFirstTokenMicros()).isEqualTo(50);
    assertThat(r.getTotalMicros()).isEqualTo(50);
  }

  @Test
  void aChatClientThatStopsReadingHasNoFurtherTurnRead() throws Exception {
    AtomicInteger turns = new AtomicInteger();
    pipelines.answer("chat", (in, o, d) -> {
      turns.incrementAndGet();
      return reply();
    });
    List<ConverseEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicReference<ClientCallStreamObserver<ConverseRequest>> call = new AtomicReference<>();
    CompletableFuture<Void> closed = new CompletableFuture<>();
    StreamObserver<ConverseRequest> requests = ConversationServiceGrpc.newStub(grpc.channel).chat(
        new ClientResponseObserver<ConverseRequest, ConverseEvent>() {
          @Override public void beforeStart(ClientCallStreamObserver<ConverseRequest> stream) {
            call.set(stream);
            stream.disableAutoInboundFlowControl(); // reads one event, then nothing until asked below
          }
          @Override public void onNext(ConverseEvent e) { events.add(e); }
          @Override public void onError(Throwable t) { closed.completeExceptionally(t); }
          @Override public void onCompleted() { closed.complete(null); }
        });
    for (int i = 0; i < 5; i++) {
      requests.onNext(text("turn " + i));
    }
    requests.onCompleted();
    Thread.sleep(300); // a server that read on regardless would have run every turn by now
    assertThat(turns.get()).as("turns run while the client read nothing").isEqualTo(1);
    assertThat(events).hasSizeLessThanOrEqualTo(1);

    call.get().request(Integer.MAX_VALUE);
    closed.get(10, TimeUnit.SECONDS);
    assertThat(turns.get()).isEqualTo(5);
    assertThat(events).filteredOn(ConverseEvent::hasDone).hasSize(5);
  }

  @Test
  void aFailedStreamEndsWithTheStatusConverseGives() {
    pipelines.answerStreaming("chat", (in, o, d, listener) -> {
      listener.onOutput("intent", Tensor.ofStrings("intent", new long[] {1}, List.of("book_flight")));
      listener.onOutput("confidence", Tensor.ofFloats("confidence", new long[] {1}, 0.97f));
      return CompletableFuture.failedFuture(new StepFailedException("chat", "decode",
          new NoReadyReplicaException("conv", "1 FAILED")));
    });
    List<ConverseEvent> events = new ArrayList<>();
    var it = stub.converseStream(text("hi"));
    assertThatThrownBy(() -> it.forEachRemaining(events::add)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription())
              .isEqualTo("pipeline chat, step decode: pool conv: no ready replica (1 FAILED)");
        });
    assertThat(events).extracting(ConversationServiceTest::show).containsExactly("intent book_flight 0.97");
  }

  @Test
  void aClientThatCancelsTheStreamCancelsTheRun() throws Exception {
    CompletableFuture<PipelineResult> pending = new CompletableFuture<>();
    pipelines.answerStreaming("chat", (in, o, d, listener) -> {
      listener.onOutput("intent", Tensor.ofStrings("intent", new long[] {1}, List.of("book_flight")));
      listener.onOutput("confidence", Tensor.ofFloats("confidence", new long[] {1}, 0.97f));
      listener.onIteration("decode", 0, List.of(Tensor.ofStrings("next_token", new long[] {1}, List.of("sure"))));
      return pending;
    });
    Context.CancellableContext ctx = Context.current().withCancellation();
    List<ConverseEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    ctx.run(() -> ConversationServiceGrpc.newStub(grpc.channel).converseStream(text("hi"), new StreamObserver<>() {
      @Override public void onNext(ConverseEvent value) {
        events.add(value);
      }
      @Override public void onError(Throwable t) { outcome.complete(t); }
      @Override public void onCompleted() { outcome.complete(null); }
    }));
    for (int i = 0; i < 1000 && events.size() < 2; i++) {
      Thread.sleep(10);
    }
    assertThat(events).extracting(ConversationServiceTest::show).containsExactly("intent book_flight 0.97", "token sure");
    ctx.cancel(null);
    assertThat(Status.fromThrowable(outcome.get(10, TimeUnit.SECONDS)).getCode()).isEqualTo(Code.CANCELLED);
    // bounded wait: cancellation reaches the server on the transport's thread
    for (int i = 0; i < 1000 && !pending.isCancelled(); i++) {
      Thread.sleep(10);
    }
    assertThat(pending.isCancelled()).isTrue();
  }

  @Test
  void aConfigWithoutTheChatPipelineAnswersNotFound() {
    FakePipelines none = new FakePipelines();
    try (InProcess other = new InProcess(new ConversationService(none, ApiLimits.DEFAULT, System::nanoTime))) {
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> ConversationServiceGrpc.newBlockingStub(other.channel).converse(text("hi")));
      assertThat(e.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
      assertThat(e.getStatus().getDescription()).isEqualTo("pipeline: \"chat\" (expected: one of [])");
    }
  }
}
