package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.junction.proto.inference.ModelInferResponse.InferOutputTensor;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streaming as a user meets it: the demo exactly as `junction serve` runs it (its chat pipeline is
 * one fused segment, so the tokens stream from the worker through the orchestrator), with real
 * models, over loopback. One orchestrator for the class.
 */
class StreamingEndToEndTest {
  private static final List<String> TEXTS = List.of("I want to book a flight to Paris",
      "what's the weather like tomorrow", "hello there");

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    orchestrator = OrchestratorProcess.startDemo("streaming");
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static ConversationServiceGrpc.ConversationServiceBlockingStub conversation() {
    return ConversationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static PipelineServiceGrpc.PipelineServiceBlockingStub pipelines() {
    return PipelineServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static RunPipelineRequest chat(String text) {
    Tensor t = Tensor.ofStrings("text", new long[] {1}, List.of(text));
    return RunPipelineRequest.newBuilder().setPipeline("chat")
        .addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data()).build();
  }

  @Test
  void converseStreamSendsTheIntentThenEachTokenAsItsOwnMessageThenTheReplyConverseGives() {
    for (String text : TEXTS) {
      ConverseRequest request = ConverseRequest.newBuilder().setText(text).setSessionId("e2e-1").build();
      List<ConverseEvent> events = new ArrayList<>();
      conversation().converseStream(request).forEachRemaining(events::add);

      assertThat(events).as(text).hasSizeGreaterThanOrEqualTo(5);
      assertThat(events.get(0).hasIntent()).as("the first event of %s", events).isTrue();
      ConverseEvent last = events.get(events.size() - 1);
      assertThat(last.hasDone()).as("the last event of %s", events).isTrue();
      List<ConverseEvent> middle = events.subList(1, events.size() - 1);
      assertThat(middle).as("every event between intent and done is one token").allSatisfy(e ->
          assertThat(e.getEventCase()).isEqualTo(ConverseEvent.EventCase.TOKEN));
      List<String> tokens = middle.stream().map(ConverseEvent::getToken).toList();
      assertThat(tokens).as(text).hasSizeGreaterThanOrEqualTo(3);

      ConverseResponse done = last.getDone();
      assertThat(done.getTokensList()).isEqualTo(tokens);
      assertThat(String.join(" ", tokens)).isEqualTo(done.getReply());
      assertThat(done.getIntent()).isEqualTo(events.get(0).getIntent().getIntent());
      assertThat(done.getConfidence()).isEqualTo(events.get(0).getIntent().getConfidence());
      assertThat(done.getSessionId()).isEqualTo("e2e-1");
      assertThat(done.getFirstTokenMicros()).isPositive().isLessThanOrEqualTo(done.getTotalMicros());

      ConverseResponse unary = conversation().converse(request);
      assertThat(done.getReply()).as(text).isEqualTo(unary.getReply());
      assertThat(done.getIntent()).isEqualTo(unary.getIntent());
      assertThat(unary.getFirstTokenMicros()).isEqualTo(unary.getTotalMicros());
    }
  }

  @Test
  void maxTokensBoundsTheStreamedTokens() {
    List<ConverseEvent> events = new ArrayList<>();
    conversation().converseStream(ConverseRequest.newBuilder().setText(TEXTS.get(0)).setMaxTokens(2).build())
        .forEachRemaining(events::add);
    assertThat(events).extracting(ConverseEvent::getEventCase).containsExactly(ConverseEvent.EventCase.INTENT,
        ConverseEvent.EventCase.TOKEN, ConverseEvent.EventCase.TOKEN, ConverseEvent.EventCase.DONE);
  }

  @Test
  void runStreamOnChatSendsTheIntentBeforeTheLoopsIterationsThenTheResultRunGives() {
    RunPipelineRequest request = chat(TEXTS.get(0));
    List<RunPipelineEvent> events = new ArrayList<>();
    pipelines().runStream(request).forEachRemaining(events::add);
    RunPipelineResponse result = events.get(events.size() - 1).getResult();
    InferOutputTensor tokens = result.getOutputsList().stream().filter(o -> o.getName().equals("tokens"))
        .findFirst().orElseThrow();
    int n = tokens.getContents().getBytesContentsCount();
    assertThat(n).isGreaterThanOrEqualTo(3);

    List<String> expected = new ArrayList<>(List.of("output intent", "output confidence"));
    IntStream.range(0, n).forEach(i -> expected.add("iteration reply#" + i));
    expected.addAll(List.of("output tokens", "result"));
    assertThat(events).extracting(StreamingEndToEndTest::show).containsExactlyElementsOf(expected);
    // Each iteration carries the token the result has at its place.
    for (int i = 0; i < n; i++) {
      InferOutputTensor token = events.get(2 + i).getIteration().getValuesList().stream()
          .filter(v -> v.getName().equals("next_token")).findFirst().orElseThrow();
      assertThat(token.getContents().getBytesContents(0)).isEqualTo(tokens.getContents().getBytesContents(i));
    }
    assertThat(events.get(0).getOutput()).isEqualTo(result.getOutputs(0));
    RunPipelineResponse unary = pipelines().run(request);
    assertThat(result.getOutputsList()).isEqualTo(unary.getOutputsList());
  }

  static String show(RunPipelineEvent e) {
    return switch (e.getEventCase()) {
      case OUTPUT -> "output " + e.getOutput().getName();
      case ITERATION -> "iteration " + e.getIteration().getStep() + "#" + e.getIteration().getIndex();
      case RESULT -> "result";
      default -> "unset";
    };
  }

  @Test
  void badInputOnTheStreamsIsInvalidWithTheMessagesOfTheUnaryCalls() {
    for (ConverseRequest bad : List.of(ConverseRequest.newBuilder().setText("  ").build(),
        ConverseRequest.newBuilder().setText("hi").setMaxTokens(65).build(),
        ConverseRequest.newBuilder().setText("hi").setSessionId("no spaces").build())) {
      StatusRuntimeException unary = failure(() -> conversation().converse(bad));
      StatusRuntimeException streamed = failure(() -> {
        conversation().converseStream(bad).forEachRemaining(e -> {});
        return null;
      });
      assertThat(unary.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
      assertThat(streamed.getStatus().getCode()).isEqualTo(unary.getStatus().getCode());
      assertThat(streamed.getStatus().getDescription()).isEqualTo(unary.getStatus().getDescription());
    }
    Tensor wrong = Tensor.ofLongs("text", new long[] {1}, 3);
    for (RunPipelineRequest bad : List.of(RunPipelineRequest.newBuilder().setPipeline("chat").build(),
        RunPipelineRequest.newBuilder().setPipeline("chat").addInputs(TensorCodec.toRawInputHeader(wrong))
            .addRawInputContents(wrong.data()).build(),
        chat("hi").toBuilder().addOutputs("nope").build(),
        RunPipelineRequest.getDefaultInstance(),
        chat("hi").toBuilder().setPipeline("chat2").build())) {
      StatusRuntimeException unary = failure(() -> pipelines().run(bad));
      StatusRuntimeException streamed = failure(() -> {
        pipelines().runStream(bad).forEachRemaining(e -> {});
        return null;
      });
      assertThat(unary.getStatus().getCode()).isIn(io.grpc.Status.Code.INVALID_ARGUMENT, io.grpc.Status.Code.NOT_FOUND);
      assertThat(streamed.getStatus().getCode()).isEqualTo(unary.getStatus().getCode());
      assertThat(streamed.getStatus().getDescription()).isEqualTo(unary.getStatus().getDescription());
    }
  }

  private static StatusRuntimeException failure(Supplier<?> call) {
    try {
      call.get();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("call succeeded");
  }
}
