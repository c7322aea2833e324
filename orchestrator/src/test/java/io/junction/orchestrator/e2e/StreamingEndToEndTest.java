package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.ModelInferResponse.InferOutputTensor;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.ListSessionsRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.SessionInfo;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.Yaml;

/**
 * Streaming as a user meets it: the demo exactly as `junction serve` runs it (its chat pipeline is
 * one fused segment, so the tokens stream from the worker through the orchestrator), with real
 * models, over loopback. On the fork's {@link SharedDemo}.
 */
@ExtendWith(SharedDemo.class)
class StreamingEndToEndTest {
  private static final List<String> TEXTS = List.of("I want to book a flight to Paris",
      "what's the weather like tomorrow", "hello there");

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
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

  /** A Chat stream the test drives turn by turn: each turn's events, and how the stream ended. */
  private static final class ChatClient implements StreamObserver<ConverseEvent> {
    final LinkedBlockingQueue<ConverseEvent> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final StreamObserver<ConverseRequest> requests = ConversationServiceGrpc.newStub(orchestrator.channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS).chat(this);

    @Override
    public void onNext(ConverseEvent e) {
      events.add(e);
    }

    @Override
    public void onError(Throwable t) {
      ended.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }

    /** Sends one turn and returns its events, done last. */
    List<ConverseEvent> turn(ConverseRequest request) throws InterruptedException {
      requests.onNext(request);
      List<ConverseEvent> turn = new ArrayList<>();
      while (turn.isEmpty() || !turn.get(turn.size() - 1).hasDone()) {
        ConverseEvent e = events.poll(30, TimeUnit.SECONDS);
        assertThat(e).as("the next event of the turn, after %s", turn).isNotNull();
        turn.add(e);
      }
      return turn;
    }
  }

  @Test
  void chatCarriesTurnsOnOneStreamEachWithItsOwnEventsInOrderInOneSession() throws Exception {
    ChatClient chat = new ChatClient();
    String session = null;
    for (String text : TEXTS) {
      List<ConverseEvent> turn = chat.turn(ConverseRequest.newBuilder().setText(text).build());
      assertThat(turn.get(0).hasIntent()).as("the first event of %s", turn).isTrue();
      List<ConverseEvent> middle = turn.subList(1, turn.size() - 1);
      assertThat(middle).allSatisfy(e -> assertThat(e.getEventCase()).isEqualTo(ConverseEvent.EventCase.TOKEN));
      ConverseResponse done = turn.get(turn.size() - 1).getDone();
      assertThat(middle.stream().map(ConverseEvent::getToken).toList()).hasSizeGreaterThanOrEqualTo(3)
          .isEqualTo(done.getTokensList());
      // One session for the stream: made by the server, since the first turn named none.
      if (session == null) {
        session = done.getSessionId();
        assertThat(session).startsWith("chat-");
      }
      assertThat(done.getSessionId()).isEqualTo(session);
      assertThat(done.getReply()).as(text)
          .isEqualTo(conversation().converse(ConverseRequest.newBuilder().setText(text).build()).getReply());
    }
    chat.requests.onCompleted();
    chat.ended.get(30, TimeUnit.SECONDS);
    String id = session;
    assertThat(orchestrator.admin().listSessions(ListSessionsRequest.newBuilder().setLimit(1000).build())
        .getSessionsList()).filteredOn(s -> s.getSessionId().equals(id))
        .extracting(SessionInfo::getTurns).containsExactly((long) TEXTS.size());
  }

  /**
   * The demo's chat reads its session: a follow-up that carries no intent of its own continues the
   * previous turn's intent (the model kit measures this on held-out turns; here it is the served
   * pipeline, in a fused segment, with the session the orchestrator keeps).
   */
  @Test
  void chatFollowUpsContinueThePreviousTurnsIntentAndWithoutASessionTheyDoNot() throws Exception {
    List<String> turns = List.of("I want to book a flight to Paris", "yes, two please", "make it Tuesday");
    ChatClient chat = new ChatClient();
    List<ConverseResponse> answers = new ArrayList<>();
    for (String text : turns) {
      List<ConverseEvent> turn = chat.turn(ConverseRequest.newBuilder().setText(text).build());
      assertThat(turn).extracting(ConverseEvent::getEventCase).as(text).startsWith(ConverseEvent.EventCase.INTENT)
          .endsWith(ConverseEvent.EventCase.DONE);
      assertThat(turn.subList(1, turn.size() - 1)).as(text).isNotEmpty()
          .allSatisfy(e -> assertThat(e.getEventCase()).isEqualTo(ConverseEvent.EventCase.TOKEN));
      ConverseResponse done = turn.get(turn.size() - 1).getDone();
      assertThat(turn.get(0).getIntent().getIntent()).isEqualTo(done.getIntent());
      answers.add(done);
    }
    chat.requests.onCompleted();
    chat.ended.get(30, TimeUnit.SECONDS);

    assertThat(answers.get(0).getIntent()).isEqualTo("book_flight");
    for (ConverseResponse followUp : answers.subList(1, 3)) {
      assertThat(followUp.getSessionId()).isEqualTo(answers.get(0).getSessionId());
      assertThat(followUp.getIntent()).as(followUp.getReply()).isEqualTo("book_flight");
      // The reply continues the conversation's intent too: the responder got book_flight's id.
      assertThat(followUp.getReply()).isEqualTo(answers.get(0).getReply());
    }
    String id = answers.get(0).getSessionId();
    assertThat(orchestrator.admin().listSessions(ListSessionsRequest.newBuilder().setLimit(1000).build())
        .getSessionsList()).filteredOn(s -> s.getSessionId().equals(id))
        .extracting(SessionInfo::getPreviousIntent).containsExactly("book_flight");

    // The same texts as calls of their own, with no session: nothing to continue, so the text's own
    // best guess, which is not the conversation's intent.
    for (String text : turns.subList(1, 3)) {
      ConverseResponse alone = conversation().converse(ConverseRequest.newBuilder().setText(text).build());
      assertThat(alone.getIntent()).as(text).isNotEqualTo("book_flight");
      assertThat(alone.getSessionId()).isEmpty();
    }
  }

  @Test
  void aChatTurnThatNamesAnotherSessionEndsTheStreamAsInvalid() throws Exception {
    ChatClient chat = new ChatClient();
    chat.turn(ConverseRequest.newBuilder().setText(TEXTS.get(2)).setSessionId("chat-e2e-a").build());
    chat.requests.onNext(ConverseRequest.newBuilder().setText(TEXTS.get(2)).setSessionId("chat-e2e-b").build());
    assertThatThrownBy(() -> chat.ended.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(StatusRuntimeException.class)
        .cause().satisfies(e -> {
          Status status = ((StatusRuntimeException) e).getStatus();
          assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(status.getDescription()).isEqualTo("session_id: \"chat-e2e-b\" (expected: empty or "
              + "\"chat-e2e-a\", the session of this Chat stream; open another stream for another session)");
        });
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

  // ---- decoding options ----

  private static ConverseRequest sampled(String text, float temperature, int topK, long seed) {
    return ConverseRequest.newBuilder().setText(text).setTemperature(temperature).setTopK(topK).setSeed(seed).build();
  }

  private static List<String> streamedTokens(ConverseRequest request) {
    List<ConverseEvent> events = new ArrayList<>();
    conversation().converseStream(request).forEachRemaining(events::add);
    return events.stream().filter(ConverseEvent::hasToken).map(ConverseEvent::getToken).toList();
  }

  private static List<String> pipelineTokens(RunPipelineRequest request) {
    InferOutputTensor tokens = pipelines().run(request).getOutputsList().stream()
        .filter(o -> o.getName().equals("tokens")).findFirst().orElseThrow();
    return tokens.getContents().getBytesContentsList().stream().map(b -> b.toStringUtf8()).toList();
  }

  /** The greedy reply of each intent that the model kit decoded when it built the models (kit.yaml). */
  @SuppressWarnings("unchecked")
  private static Map<String, String> kitGreedyReplies() throws Exception {
    Map<String, Object> kit = new Yaml().load(Files.readString(OrchestratorProcess.repository().resolve("kit.yaml")));
    return (Map<String, String>) ((Map<String, Object>) kit.get("conversation")).get("greedy_replies");
  }

  @Test
  void greedyIsTheDefaultDeterministicAndTheReplyTheModelKitDecoded() throws Exception {
    Map<String, String> kit = kitGreedyReplies();
    for (String text : TEXTS) {
      ConverseResponse first = conversation().converse(ConverseRequest.newBuilder().setText(text).build());
      ConverseResponse again = conversation().converse(ConverseRequest.newBuilder().setText(text).build());
      // temperature 0 is greedy whatever top_k and seed say
      ConverseResponse explicit = conversation().converse(sampled(text, 0f, 5, 99));

      assertThat(first.getTokensList()).as(text).isNotEmpty();
      assertThat(again.getTokensList()).as(text).isEqualTo(first.getTokensList());
      assertThat(explicit.getTokensList()).as(text).isEqualTo(first.getTokensList());
      assertThat(List.of(first.getSeed(), again.getSeed(), explicit.getSeed())).as("no seed for greedy").containsOnly(0L);
      assertThat(first.getReply()).as(text).isEqualTo(kit.get(first.getIntent()));
      // RunPipeline callers that send only the text get the inputs' greedy defaults
      assertThat(pipelineTokens(chat(text))).as(text).isEqualTo(first.getTokensList());
    }
  }

  @Test
  void theSameSeedGivesTheSameReplyOnConverseConverseStreamAndRunPipeline() {
    for (String text : TEXTS) {
      for (long seed : new long[] {7, -2}) {
        ConverseRequest request = sampled(text, 1.5f, 0, seed);
        ConverseResponse first = conversation().converse(request);
        assertThat(first.getSeed()).isEqualTo(seed);
        assertThat(conversation().converse(request).getTokensList()).as("%s, seed %d", text, seed)
            .isEqualTo(first.getTokensList());
        assertThat(streamedTokens(request)).as("%s, seed %d, streamed", text, seed).isEqualTo(first.getTokensList());
        Tensor[] options = {Tensor.ofFloats("temperature", new long[] {1}, 1.5f), Tensor.ofInts("top_k", new long[] {1}, 0),
            Tensor.ofLongs("seed", new long[] {1}, seed)};
        RunPipelineRequest.Builder run = chat(text).toBuilder();
        for (Tensor t : options) {
          run.addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data());
        }
        assertThat(pipelineTokens(run.build())).as("%s, seed %d, RunPipeline", text, seed).isEqualTo(first.getTokensList());
      }
    }
  }

  @Test
  void aSeedTheServerDrewIsReportedAndGivesTheSameReplyWhenSentBack() {
    ConverseResponse drawn = conversation().converse(sampled(TEXTS.get(2), 1.2f, 10, 0));
    assertThat(drawn.getSeed()).isNotZero();
    assertThat(conversation().converse(sampled(TEXTS.get(2), 1.2f, 10, drawn.getSeed())).getTokensList())
        .isEqualTo(drawn.getTokensList());
  }

  @Test
  void differentSeedsGiveDifferentRepliesForSomeDemoPrompt() {
    // Fixed prompts and seeds, so the outcome is the same on every run; one differing pair is enough.
    Map<String, Set<List<String>>> replies = new LinkedHashMap<>();
    for (String text : TEXTS) {
      for (long seed = 1; seed <= 6; seed++) {
        replies.computeIfAbsent(text, t -> new HashSet<>()).add(conversation().converse(sampled(text, 1.5f, 0, seed))
            .getTokensList());
      }
    }
    assertThat(replies.values()).as("distinct replies of six seeds, per prompt: %s", replies)
        .anySatisfy(distinct -> assertThat(distinct).hasSizeGreaterThan(1));
  }

  @Test
  void decodingOptionsOutOfRangeAreInvalidAndNameTheRange() {
    assertThat(failure(() -> conversation().converse(sampled("hi", 3.5f, 0, 0))).getStatus())
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(s -> assertThat(s.getDescription()).isEqualTo("temperature: 3.5 (expected: 0 to 2)"));
    assertThat(failure(() -> conversation().converse(sampled("hi", 1f, 1001, 0))).getStatus())
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(s -> assertThat(s.getDescription()).isEqualTo("top_k: 1001 (expected: 0 to 1000)"));
  }

  @Test
  void badInputOnTheStreamsIsInvalidWithTheMessagesOfTheUnaryCalls() {
    for (ConverseRequest bad : List.of(ConverseRequest.newBuilder().setText("  ").build(),
        ConverseRequest.newBuilder().setText("hi").setMaxTokens(65).build(),
        sampled("hi", -1f, 0, 0), sampled("hi", 1f, -1, 0),
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
