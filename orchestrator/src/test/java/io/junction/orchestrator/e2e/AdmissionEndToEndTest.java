package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Admission and priorities in a real orchestrator with a real worker, overloaded on purpose: an
 * admission of 4 requests (2 of them batch at most) in front of one replica that takes one call
 * at a time, and the chat pipeline run step by step, so that every admitted conversation's
 * steps queue in the pool many times over. Every request either is served whole or is refused
 * at the door with RESOURCE_EXHAUSTED before it sent anything; batch is shed while interactive
 * work, within its reserve, is all served.
 */
class AdmissionEndToEndTest {
  private static final int ADMITTED = 4;
  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        admission: {max_in_flight: %d, batch_share: 0.5}
        pools:
          - {name: conversation, models: [featurizer, intent, responder], replicas: 1, max_in_flight: 1,
             jvm_options: [-Xmx384m]}
        pipelines:
        """.formatted(ADMITTED)
        + OrchestratorProcess.CHAT_PIPELINE.formatted("", "fuse: false")
        + OrchestratorProcess.CHAT_PIPELINE.formatted("_batch", "fuse: false\n    priority: batch");
    orchestrator = OrchestratorProcess.start("admission", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  /** How one streamed conversation ended: its events, and its error if it failed. */
  private record Streamed(int events, Throwable error) {}

  private static CompletableFuture<Streamed> converseStream(String priority, String text) {
    ConversationServiceGrpc.ConversationServiceStub stub = ConversationServiceGrpc.newStub(orchestrator.channel)
        .withDeadlineAfter(120, TimeUnit.SECONDS);
    if (priority != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("junction-priority", Metadata.ASCII_STRING_MARSHALLER), priority);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    CompletableFuture<Streamed> done = new CompletableFuture<>();
    AtomicInteger events = new AtomicInteger();
    stub.converseStream(ConverseRequest.newBuilder().setText(text).setMaxTokens(24).build(),
        new StreamObserver<ConverseEvent>() {
          @Override
          public void onNext(ConverseEvent value) {
            events.incrementAndGet();
          }

          @Override
          public void onError(Throwable t) {
            done.complete(new Streamed(events.get(), t));
          }

          @Override
          public void onCompleted() {
            done.complete(new Streamed(events.get(), null));
          }
        });
    return done;
  }

  private static CompletableFuture<RunPipelineResponse> run(String pipeline, String text) {
    Tensor t = Tensor.ofStrings("text", new long[] {1}, List.of(text));
    RunPipelineRequest request = RunPipelineRequest.newBuilder().setPipeline(pipeline)
        .addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data()).build();
    CompletableFuture<RunPipelineResponse> answer = new CompletableFuture<>();
    PipelineServiceGrpc.newStub(orchestrator.channel).withDeadlineAfter(120, TimeUnit.SECONDS)
        .run(request, new StreamObserver<>() {
          @Override
          public void onNext(RunPipelineResponse value) {
            answer.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    return answer;
  }

  private static Status status(Throwable t) {
    return Status.fromThrowable(t);
  }

  @Test
  void atOverloadEveryRequestIsServedWholeOrRefusedAtTheDoorBeforeItSentAnything() throws Exception {
    List<CompletableFuture<Streamed>> streams = new ArrayList<>();
    List<CompletableFuture<RunPipelineResponse>> runs = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      streams.add(converseStream(null, "hello there, what can you do " + i));
      runs.add(run("chat", "tell me a joke " + i));
    }
    int served = 0;
    int refused = 0;
    for (CompletableFuture<Streamed> f : streams) {
      Streamed s = f.get(180, TimeUnit.SECONDS);
      if (s.error() == null) {
        served++;
        assertThat(s.events()).as("a served stream ends with its done event").isPositive();
      } else {
        refused++;
        assertThat(status(s.error()).getCode()).as(s.error().toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status(s.error()).getDescription()).startsWith("admission: " + ADMITTED + " requests in flight");
        assertThat(s.events()).as("refused at the door, not halfway: no token was sent before").isZero();
      }
    }
    for (CompletableFuture<RunPipelineResponse> f : runs) {
      try {
        assertThat(f.get(180, TimeUnit.SECONDS).getOutputsList()).isNotEmpty();
        served++;
      } catch (java.util.concurrent.ExecutionException e) {
        refused++;
        assertThat(status(e.getCause()).getCode()).as(e.getCause().toString())
            .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status(e.getCause()).getDescription()).startsWith("admission: ");
      }
    }
    assertThat(served).as("admitted requests are all served").isGreaterThanOrEqualTo(1);
    assertThat(refused).as("32 requests at once against an admission of " + ADMITTED).isPositive();
    assertThat(served + refused).isEqualTo(32);
    // and once the burst is over, the door is open again
    assertThat(converseStream(null, "hello").get(60, TimeUnit.SECONDS).error()).isNull();
  }

  @Test
  void underSaturationByBatchWorkBatchIsShedWhileInteractiveWorkIsServed() throws Exception {
    List<CompletableFuture<RunPipelineResponse>> batch = new ArrayList<>();
    List<CompletableFuture<Streamed>> batchByHeader = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(run("chat_batch", "nightly report " + i)); // batch by the pipeline's priority
      batchByHeader.add(converseStream("batch", "summarise this " + i)); // batch by the client's header
    }
    // at most 2 batch requests hold admission; the other 2 places are interactive work's reserve
    List<CompletableFuture<Streamed>> interactive = List.of(
        converseStream("interactive", "hello there"), converseStream(null, "what can you do"));

    for (CompletableFuture<Streamed> f : interactive) {
      Streamed s = f.get(180, TimeUnit.SECONDS);
      assertThat(s.error()).as("interactive work is never shed for batch work").isNull();
    }
    int shed = 0;
    int served = 0;
    for (CompletableFuture<RunPipelineResponse> f : batch) {
      try {
        f.get(180, TimeUnit.SECONDS);
        served++;
      } catch (java.util.concurrent.ExecutionException e) {
        shed++;
        assertThat(status(e.getCause()).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status(e.getCause()).getDescription()).startsWith("admission: 2 batch requests in flight, the limit"
            + " of admission.batch_share 0.5 of admission.max_in_flight 4");
      }
    }
    for (CompletableFuture<Streamed> f : batchByHeader) {
      Streamed s = f.get(180, TimeUnit.SECONDS);
      if (s.error() == null) {
        served++;
      } else {
        shed++;
        assertThat(status(s.error()).getDescription()).startsWith("admission: 2 batch requests in flight");
        assertThat(s.events()).isZero();
      }
    }
    assertThat(shed).as("20 batch requests at once against a batch share of 2").isPositive();
    assertThat(served).isPositive();
  }

  @Test
  void aPriorityThatIsNotOneIsRefusedAsInvalidNamingTheHeader() throws Exception {
    Streamed s = converseStream("urgent", "hello").get(60, TimeUnit.SECONDS);
    assertThat(status(s.error()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status(s.error()).getDescription())
        .isEqualTo("junction-priority: \"urgent\" (expected: interactive or batch)");
  }
}
