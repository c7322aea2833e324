package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ModelStats;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that cancels a stream, or whose deadline passes, stops generation: the worker's own
 * count of responder calls stops growing. The chat pipeline here decodes far longer than the demo
 * (no stop value, {@value #FULL_REPLY} iterations), so a generation that went on would be seen;
 * it runs fused (the loop runs inside the worker, which the cancel must reach) and as a fuse: false
 * copy (the orchestrator's loop). One orchestrator for the class.
 */
class StreamCancellationTest {
  /** Responder calls a whole reply takes: seconds of generation. */
  private static final int FULL_REPLY = 100_000;
  private static final String CHAT = """
        - name: %s
          fuse: %s
          inputs: [{name: text, datatype: BYTES, shape: [1]}, {name: temperature, datatype: FP32, shape: [1], default: [0.0]},
                    {name: top_k, datatype: INT32, shape: [1], default: [0]}, {name: seed, datatype: INT64, shape: [1], default: [0]}]
          outputs:
            - {name: intent, from: classify.intent}
            - {name: confidence, from: classify.confidence}
            - {name: tokens, from: reply.next_token}
          steps:
            - {name: featurize, model: featurizer, inputs: {text: input.text}}
            - {name: classify, model: intent, inputs: {features: featurize.features}}
            - name: reply
              timeout_ms: 600000
              loop:
                model: responder
                inputs: {intent_id: classify.intent_id, temperature: input.temperature, top_k: input.top_k, seed: input.seed}
                feedback: {input: context, output: next_id, window: 2, start: 1}
                iteration: iteration
                collect: [next_token, next_id]
                max_iterations: %d
      """;

  private static OrchestratorProcess orchestrator;
  private static ManagedChannel worker;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - {name: conversation, models: [featurizer, intent, responder], replicas: 1, jvm_options: [-Xmx384m]}
        pipelines:
        """ + CHAT.formatted("chat", "true", FULL_REPLY) + CHAT.formatted("chat_plain", "false", FULL_REPLY);
    orchestrator = OrchestratorProcess.start("stream-cancel", config);
    String endpoint = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240))
        .getPools(0).getReplicas(0).getEndpoint();
    worker = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.shutdownNow();
    }
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  /** The worker's own count of responder calls, read from it directly. */
  private static long responderCalls() {
    return WorkerControlGrpc.newBlockingStub(worker).withDeadlineAfter(10, TimeUnit.SECONDS)
        .stats(StatsRequest.getDefaultInstance()).getModelsList().stream()
        .filter(m -> m.getName().equals("responder")).mapToLong(ModelStats::getCalls).sum();
  }

  /**
   * Reads the count a moment after the stream ended and again a moment later: generation has
   * stopped when the two agree, and it stopped early when it made far fewer calls than a reply.
   */
  private static void assertGenerationStopped(long before) throws InterruptedException {
    Thread.sleep(500);
    long first = responderCalls();
    Thread.sleep(500);
    long second = responderCalls();
    assertThat(second).as("responder calls a moment apart, after the stream ended").isEqualTo(first);
    assertThat(second - before).as("responder calls the cancelled turn made").isPositive().isLessThan(FULL_REPLY / 10);
  }

  /** Starts a streaming call that cancels itself at the first event that matches {@code stopAt}. */
  private static <Q, E> CompletableFuture<Throwable> cancelAt(Predicate<E> stopAt, List<E> seen,
      Consumer<ClientResponseObserver<Q, E>> call) {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    call.accept(new ClientResponseObserver<Q, E>() {
      private volatile ClientCallStreamObserver<Q> requests;

      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
        requests = requestStream;
      }

      @Override
      public void onNext(E event) {
        seen.add(event);
        if (stopAt.test(event)) {
          requests.cancel("the client has what it wanted", null);
        }
      }

      @Override
      public void onError(Throwable t) {
        outcome.complete(t);
      }

      @Override
      public void onCompleted() {
        outcome.complete(null);
      }
    });
    return outcome;
  }

  @Test
  void cancellingConverseStreamAfterItsFirstTokenStopsTheWorkersLoop() throws Exception {
    long before = responderCalls();
    List<ConverseEvent> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> outcome = cancelAt(ConverseEvent::hasToken, seen,
        (ClientResponseObserver<ConverseRequest, ConverseEvent> observer) ->
            ConversationServiceGrpc.newStub(orchestrator.channel).withDeadlineAfter(120, TimeUnit.SECONDS)
                .converseStream(ConverseRequest.newBuilder().setText("I want to book a flight to Paris").build(), observer));

    Throwable end = outcome.get(60, TimeUnit.SECONDS);
    assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(seen).extracting(ConverseEvent::getEventCase)
        .startsWith(ConverseEvent.EventCase.INTENT, ConverseEvent.EventCase.TOKEN);
    assertGenerationStopped(before);
  }

  @Test
  void cancellingRunStreamOfAnUnfusedChatAfterItsFirstIterationStopsTheOrchestratorsLoop() throws Exception {
    long before = responderCalls();
    Tensor text = Tensor.ofStrings("text", new long[] {1}, List.of("what's the weather like tomorrow"));
    RunPipelineRequest request = RunPipelineRequest.newBuilder().setPipeline("chat_plain")
        .addInputs(TensorCodec.toRawInputHeader(text)).addRawInputContents(text.data()).build();
    List<RunPipelineEvent> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> outcome = cancelAt(RunPipelineEvent::hasIteration, seen,
        (ClientResponseObserver<RunPipelineRequest, RunPipelineEvent> observer) ->
            PipelineServiceGrpc.newStub(orchestrator.channel).withDeadlineAfter(120, TimeUnit.SECONDS)
                .runStream(request, observer));

    assertThat(Status.fromThrowable(outcome.get(60, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.CANCELLED);
    // Step by step, too, the intent is told before the loop's first iteration.
    assertThat(seen).extracting(StreamingEndToEndTest::show)
        .startsWith("output intent", "output confidence", "iteration reply#0");
    assertGenerationStopped(before);
  }

  @Test
  void aStreamWhoseDeadlinePassesStopsTheWorkersLoop() throws Exception {
    long before = responderCalls();
    Throwable end = null;
    try {
      ConversationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(1500, TimeUnit.MILLISECONDS)
          .converseStream(ConverseRequest.newBuilder().setText("hello").build()).forEachRemaining(e -> {});
    } catch (RuntimeException e) {
      end = e;
    }
    assertThat(end).as("the stream ended by its deadline").isNotNull();
    assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertGenerationStopped(before);
  }
}
