package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.Status.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.junction.engine.PipelineResult;
import io.junction.engine.StepFailedException;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

  private static StatusRuntimeException failure(ConverseRequest request) {
    try {
      stub.converse(request);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("call succeeded: " + request);
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
  void streamingIsNotServedYet() {
    var it = ConversationServiceGrpc.newBlockingStub(grpc.channel).converseStream(text("hi"));
    assertThatThrownBy(it::hasNext)
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Code.UNIMPLEMENTED);
          assertThat(e.getStatus().getDescription()).contains("streaming is not served yet");
        });
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
