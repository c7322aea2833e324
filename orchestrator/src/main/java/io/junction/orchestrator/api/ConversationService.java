package io.junction.orchestrator.api;

import io.grpc.stub.StreamObserver;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineResult;
import io.junction.engine.RunOptions;
import io.junction.engine.SessionInputs;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.session.History;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.session.Sessions;
import io.junction.orchestrator.session.Turn;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * {@code junction.v1.ConversationService}: a thin adapter over the {@code chat} pipeline. It
 * checks the request, turns it into the pipeline's {@code text} tensor and turns the pipeline's
 * {@code intent}, {@code confidence} and {@code tokens} back into a reply, whole or streamed (the
 * events of a stream are {@link ConverseEvents}' to make). No model logic here. A request with a
 * {@code session_id} also gives the pipeline the session's state (the {@code session.*} values,
 * {@link SessionInputs}), routes by the session in a pool with session affinity and, once
 * answered, adds its turn to the session. Its decoding options become the pipeline's
 * {@code temperature}, {@code top_k} and {@code seed} inputs ({@link Decoding}).
 */
public final class ConversationService extends ConversationServiceGrpc.ConversationServiceImplBase {
  public static final String PIPELINE = "chat";
  public static final int MAX_TOKENS = 64;
  /** The chat pipeline's output of reply tokens; its loop's iterations are what ConverseStream streams. */
  static final String TOKENS = "tokens";

  private final Pipelines pipelines;
  private final ApiLimits limits;
  private final Sessions sessions;
  private final LongSupplier nanoClock;
  /** Open Chat streams close after their turn in flight once this begins. */
  private final Draining draining;
  /** Seeds for sampling requests that set none: random, so that two such requests differ. */
  private final LongSupplier seeds = () -> ThreadLocalRandom.current().nextLong();

  /** A run's result and the seed it was sampled with (0: greedy). */
  private record Reply(PipelineResult result, long seed) {}

  /** A service with a session store of its own, of the default bounds. */
  public ConversationService(Pipelines pipelines, ApiLimits limits, LongSupplier nanoClock) {
    this(pipelines, limits, Sessions.create(SessionConfig.DEFAULT, nanoClock), nanoClock);
  }

  public ConversationService(Pipelines pipelines, ApiLimits limits, Sessions sessions, LongSupplier nanoClock) {
    this(pipelines, limits, sessions, nanoClock, new Draining());
  }

  /** @param draining the server's drain: open Chat streams close after their turn in flight when it begins */
  public ConversationService(Pipelines pipelines, ApiLimits limits, Sessions sessions, LongSupplier nanoClock,
      Draining draining) {
    this.draining = Objects.requireNonNull(draining);
    this.pipelines = Objects.requireNonNull(pipelines);
    this.limits = Objects.requireNonNull(limits);
    this.sessions = Objects.requireNonNull(sessions);
    this.nanoClock = Objects.requireNonNull(nanoClock);
  }

  @Override
  public void converse(ConverseRequest request, StreamObserver<ConverseResponse> observer) {
    long start = nanoClock.getAsLong();
    Calls.respond(observer, () -> startRun(request, IterationListener.NONE),
        reply -> remember(request, toResponse(reply, request.getSessionId(), microsSince(start))));
  }

  @Override
  public void converseStream(ConverseRequest request, StreamObserver<ConverseEvent> observer) {
    Calls.stream(observer, sink -> streamTurn(request, sink));
  }

  @Override
  public StreamObserver<ConverseRequest> chat(StreamObserver<ConverseEvent> observer) {
    return ChatStream.start(observer, this::streamTurn, ConversationService::newSessionId, draining);
  }

  /** One streamed turn, for ConverseStream and each turn of Chat: its events go to the sink, its future is done. */
  private CompletableFuture<ConverseEvent> streamTurn(ConverseRequest request, Consumer<ConverseEvent> sink) {
    long start = nanoClock.getAsLong();
    ConverseEvents events = new ConverseEvents(sink, pipelines.iterationOutputs(PIPELINE), () -> microsSince(start));
    return Calls.thenApply(startRun(request, events),
        reply -> events.done(remember(request, toResponse(reply, request.getSessionId(), microsSince(start)))));
  }

  /** A session id for a Chat stream that names none: random, so that two streams never share one by chance. */
  private static String newSessionId() {
    return "chat-" + UUID.randomUUID();
  }

  /** The one translation of a request into a run of the chat pipeline, for Converse and ConverseStream alike. */
  private CompletableFuture<Reply> startRun(ConverseRequest request, IterationListener listener) {
    String text = checkText(request.getText());
    RunOptions options = new RunOptions(List.of(), maxIterations(request.getMaxTokens()))
        .withAffinityKey(SessionIds.check(request.getSessionId()));
    Decoding decoding = Decoding.of(request, seeds);
    return Calls.thenApply(pipelines.run(PIPELINE, inputs(text, decoding, request.getSessionId()), options,
        Calls.deadline(limits.defaultDeadline()), listener), result -> new Reply(result, decoding.seed()));
  }

  /** The text, the decoding options, and with a session id the session's state as it is before this turn. */
  private List<Tensor> inputs(String text, Decoding decoding, String session) {
    List<Tensor> inputs = new ArrayList<>(6);
    inputs.add(Tensor.ofStrings("text", new long[] {1}, List.of(text)));
    inputs.addAll(decoding.inputs());
    if (!session.isEmpty()) {
      History history = sessions.use(session);
      inputs.addAll(SessionInputs.of(history.previousIntent(), history.turns()));
    }
    return inputs;
  }

  /** A turn joins its session once its reply is made: a failed or cancelled call leaves the session as it was. */
  private ConverseResponse remember(ConverseRequest request, ConverseResponse response) {
    if (!request.getSessionId().isEmpty()) {
      sessions.record(request.getSessionId(), new Turn(request.getText().strip(), response.getIntent(), response.getReply()));
    }
    return response;
  }

  private long microsSince(long start) {
    return TimeUnit.NANOSECONDS.toMicros(nanoClock.getAsLong() - start);
  }

  private String checkText(String raw) {
    String text = raw.strip();
    String expected = "(expected: 1 to " + limits.maxTextChars() + " characters)";
    if (text.isEmpty()) {
      throw new InvalidRequestException("text: empty " + expected);
    }
    int chars = text.codePointCount(0, text.length());
    if (chars > limits.maxTextChars()) {
      throw new InvalidRequestException("text: " + chars + " characters " + expected);
    }
    return text;
  }

  private static OptionalInt maxIterations(int maxTokens) {
    if (maxTokens < 0 || maxTokens > MAX_TOKENS) {
      throw new InvalidRequestException("max_tokens: " + maxTokens + " (expected: 0.." + MAX_TOKENS + ")");
    }
    return maxTokens == 0 ? OptionalInt.empty() : OptionalInt.of(maxTokens);
  }

  /** The whole reply; its first token reaches the client with the rest of it, unless a stream says otherwise. */
  private static ConverseResponse toResponse(Reply reply, String session, long totalMicros) {
    PipelineResult result = reply.result();
    List<String> intent = result.output("intent").strings();
    float[] confidence = result.output("confidence").floats();
    List<String> tokens = result.output(TOKENS).strings();
    if (intent.size() != 1 || confidence.length != 1) {
      // the pipeline's declared outputs are [1]: a different count is our bug, not the client's
      throw new IllegalStateException("pipeline " + PIPELINE + ": " + intent.size() + " intents and "
          + confidence.length + " confidences (expected: 1 of each)");
    }
    return ConverseResponse.newBuilder()
        .setIntent(intent.get(0))
        .setConfidence(confidence[0])
        .setReply(String.join(" ", tokens))
        .addAllTokens(tokens)
        .setSessionId(session)
        .setLatencyMicros(totalMicros)
        .setFirstTokenMicros(tokens.isEmpty() ? 0 : totalMicros)
        .setTotalMicros(totalMicros)
        .setSeed(reply.seed())
        .build();
  }
}
