package io.junction.orchestrator.api;

import static io.junction.orchestrator.api.StreamRecorder.chat;
import static io.junction.orchestrator.api.StreamRecorder.isFinal;
import static io.junction.orchestrator.api.StreamRecorder.outputs;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Deadline;
import io.junction.engine.IterationListener;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.engine.RunOptions;
import io.junction.engine.Specs;
import io.junction.engine.UnknownPipelineException;
import io.junction.orchestrator.pipeline.IterationOutputs;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ModelStreamInfer in process: a pipeline whose decode loop emits one iteration per word of its
 * text (the demo's chat outputs, read from {@code reply.next_token}), a model, and the stream's
 * rules (ids, final flags, errors as responses, one request at a time, cancellation).
 */
class InferenceStreamTest {
  private final FakePools pools = new FakePools();
  private final LoopPipelines pipelines = new LoopPipelines();
  private InProcess grpc;

  @BeforeEach
  void start() {
    pools.model("recs", new ModelSignature("user_tower",
            List.of(FakePipelines.spec("user_id", DataType.INT64, -1)),
            List.of(FakePipelines.spec("embedding", DataType.FP32, -1, 2))),
        (in, out, d) -> CompletableFuture.completedFuture(
            List.of(Tensor.ofFloats("embedding", new long[] {1, 2}, in.get(0).longs()[0], 0))));
    grpc = new InProcess(new InferenceService(pools, pipelines, ApiLimits.DEFAULT));
  }

  @AfterEach
  void stop() {
    grpc.close();
  }

  @Test
  void aLoopAnswersEachIterationAsItsOwnResponseThenAFinalOneWithEveryOutput() {
    StreamRecorder s = open();
    s.send(chat("a", "hello there friend"));
    s.halfClose();
    assertThat(s.completed()).isTrue();
    List<ModelInferResponse> r = s.responses();
    assertThat(r).hasSize(4).allSatisfy(x -> {
      assertThat(x.getId()).isEqualTo("a");
      assertThat(x.getModelName()).isEqualTo("chat");
    });
    for (int i = 0; i < 3; i++) {
      assertThat(isFinal(r.get(i))).isFalse();
      List<Tensor> out = outputs(r.get(i));
      assertThat(out).extracting(Tensor::name).as("only the outputs a loop collects").containsExactly("tokens");
      assertThat(out.get(0).shape()).containsExactly(1);
      assertThat(out.get(0).strings()).containsExactly(List.of("hello", "there", "friend").get(i));
    }
    assertThat(isFinal(r.get(3))).isTrue();
    assertThat(outputs(r.get(3))).extracting(Tensor::name).containsExactly("intent", "confidence", "tokens");
    assertThat(outputs(r.get(3)).get(2).strings()).containsExactly("hello", "there", "friend");
  }

  @Test
  void onlyRequestedOutputsAreStreamedAndAnIterationWithNoneIsNotSent() {
    StreamRecorder s = open();
    s.send(chat("i", "hello there").toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("intent")).build());
    s.send(chat("t", "hello there").toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("tokens")).build());
    s.halfClose();
    List<ModelInferResponse> r = s.responses();
    assertThat(r).extracting(ModelInferResponse::getId).containsExactly("i", "t", "t", "t");
    assertThat(outputs(r.get(0))).extracting(Tensor::name).containsExactly("intent");
    assertThat(isFinal(r.get(0))).isTrue();
    assertThat(r.subList(1, 4)).extracting(StreamRecorder::isFinal).containsExactly(false, false, true);
    assertThat(outputs(r.get(3))).extracting(Tensor::name).containsExactly("tokens");
  }

  @Test
  void aModelAnswersOneFinalResponse() {
    StreamRecorder s = open();
    s.send(ModelInferRequest.newBuilder().setModelName("user_tower").setId("m")
        .addInputs(InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(1)
            .setContents(InferTensorContents.newBuilder().addInt64Contents(7)))
        .build());
    s.halfClose();
    assertThat(s.responses()).singleElement().satisfies(r -> {
      assertThat(r.getId()).isEqualTo("m");
      assertThat(isFinal(r)).isTrue();
      assertThat(outputs(r).get(0).floats()).containsExactly(7f, 0f);
    });
  }

  @Test
  void aFailedRequestIsAnErrorResponseWithItsIdAndTheStreamAnswersTheNext() {
    StreamRecorder s = open();
    s.send(ModelInferRequest.newBuilder().setModelName("nope").setId("x").build());
    s.send(chat("y", "hi").toBuilder().setModelVersion("7").build());
    s.send(chat("z", "hi"));
    s.halfClose();
    List<ModelStreamInferResponse> all = s.all();
    assertThat(all).hasSize(4);
    assertThat(all.get(0).getErrorMessage()).isEqualTo(
        "model: \"nope\" (expected: a pipeline, one of [chat], or a model, one of [user_tower])");
    assertThat(all.get(1).getErrorMessage()).startsWith("model_version: \"7\" (expected: \"\";");
    for (ModelStreamInferResponse e : all.subList(0, 2)) {
      assertThat(isFinal(e.getInferResponse())).as("an error ends its request").isTrue();
      assertThat(e.getInferResponse().getOutputsCount()).isZero();
    }
    assertThat(all).extracting(x -> x.getInferResponse().getId()).containsExactly("x", "y", "z", "z");
    assertThat(all.subList(2, 4)).extracting(ModelStreamInferResponse::getErrorMessage).containsOnly("");
    assertThat(s.completed()).isTrue();
  }

  @Test
  void aFailedRunIsAnErrorResponse() {
    StreamRecorder s = open();
    s.send(chat("f", "fail"));
    s.send(chat("g", "ok"));
    s.halfClose();
    assertThat(s.all()).extracting(ModelStreamInferResponse::getErrorMessage)
        .containsExactly("inputs: \"fail\" (expected: anything else)", "", "");
  }

  @Test
  void theNextRequestIsReadOnlyWhenThePreviousOneIsAnswered() {
    StreamRecorder s = open();
    s.send(chat("first", "hang"));
    s.send(chat("second", "hello"));
    assertThat(pipelines.runs.get()).as("the second request is not read while the first runs").isEqualTo(1);
    assertThat(s.responses()).extracting(ModelInferResponse::getId).containsExactly("first");
    pipelines.hanging.complete(pipelines.result(List.of("late"), RunOptions.DEFAULT));
    assertThat(pipelines.runs.get()).isEqualTo(2);
    s.halfClose();
    assertThat(s.responses()).extracting(r -> r.getId() + ":" + isFinal(r))
        .containsExactly("first:false", "first:true", "second:false", "second:true");
    assertThat(s.completed()).isTrue();
  }

  @Test
  void aHalfClosedStreamCompletesOnceTheRequestInFlightIsAnswered() {
    StreamRecorder s = open();
    s.send(chat("h", "hang"));
    s.halfClose();
    assertThat(s.completed()).isFalse();
    pipelines.hanging.complete(pipelines.result(List.of("late"), RunOptions.DEFAULT));
    assertThat(s.responses()).extracting(StreamRecorder::isFinal).containsExactly(false, true);
    assertThat(s.completed()).isTrue();
  }

  @Test
  void cancellingTheStreamCancelsTheRunInFlight() throws InterruptedException {
    StreamRecorder s = open();
    s.send(chat("c", "hang"));
    assertThat(s.responses()).hasSize(1);
    s.cancel();
    for (int i = 0; i < 100 && !pipelines.hanging.isCancelled(); i++) {
      Thread.sleep(50); // bounded: the cancellation normally arrives on this thread already
    }
    assertThat(pipelines.hanging).isCancelled();
  }

  /** In process on directExecutor, every answer has arrived when a call returns. */
  private StreamRecorder open() {
    StreamRecorder s = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(grpc.channel).modelStreamInfer(s);
    return s;
  }

  /**
   * The demo's chat pipeline, faked: its {@code reply} loop emits one iteration per word of the
   * text, then the run answers. "hang" emits one iteration and waits for the test; "fail" fails.
   */
  private static final class LoopPipelines implements Pipelines {
    final AtomicInteger runs = new AtomicInteger();
    volatile CompletableFuture<PipelineResult> hanging;

    @Override
    public List<PipelineDescription> describe() {
      return List.of(FakePipelines.chat());
    }

    @Override
    public Optional<PipelineDescription> describe(String pipeline) {
      return describe().stream().filter(d -> d.name().equals(pipeline)).findFirst();
    }

    @Override
    public IterationOutputs iterationOutputs(String pipeline) {
      return pipeline.equals("chat") ? IterationOutputs.of(Specs.chat()) : IterationOutputs.NONE;
    }

    @Override
    public CompletableFuture<PipelineResult> run(
        String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener) {
      if (!pipeline.equals("chat")) {
        return CompletableFuture.failedFuture(new UnknownPipelineException(pipeline, List.of("chat")));
      }
      runs.incrementAndGet();
      String text = inputs.get(0).strings().get(0);
      if (text.equals("fail")) {
        return CompletableFuture.failedFuture(new InvalidRequestException("inputs: \"fail\" (expected: anything else)"));
      }
      List<String> words = new ArrayList<>(Arrays.asList(text.split(" ")));
      for (int i = 0; i < words.size(); i++) {
        listener.onIteration("reply", i, List.of(Tensor.ofStrings("next_token", new long[] {1}, List.of(words.get(i))),
            Tensor.ofLongs("next_id", new long[] {1}, 10 + i)));
      }
      if (text.equals("hang")) {
        hanging = new CompletableFuture<>();
        return hanging;
      }
      return CompletableFuture.completedFuture(result(words, options));
    }

    PipelineResult result(List<String> words, RunOptions options) {
      List<Tensor> all = List.of(
          Tensor.ofStrings("intent", new long[] {1}, List.of("greet")),
          Tensor.ofFloats("confidence", new long[] {1}, 0.9f),
          Tensor.ofStrings("tokens", new long[] {words.size()}, words));
      return new PipelineResult("chat",
          all.stream().filter(t -> options.outputs().isEmpty() || options.outputs().contains(t.name())).toList(), List.of());
    }
  }
}
