package io.junction.orchestrator.e2e;

import static io.junction.orchestrator.api.StreamRecorder.chat;
import static io.junction.orchestrator.api.StreamRecorder.isFinal;
import static io.junction.orchestrator.api.StreamRecorder.outputs;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.junction.orchestrator.api.StreamRecorder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GRPCInferenceService/ModelStreamInfer} on the demo as a user runs it: `junction serve`
 * with no config, real worker JVMs and models, real gRPC over loopback; and the same stream
 * through {@code tritonclient}, Triton's own Python client, in the environment that
 * {@code bin/install-test-python} makes. On the fork's {@link SharedDemo}.
 */
@ExtendWith(SharedDemo.class)
class OpenInferenceStreamingTest {
  private static final String TEXT = "I want to book a flight to Paris";
  private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(60);
  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
  }

  @Test
  void chatStreamsEachTokenAsItsOwnResponseThenAFinalResponseEqualToModelInfer() throws Exception {
    List<Tensor> unary = outputs(unary(chat("unary", TEXT)));
    List<String> tokens = unary.get(2).strings();
    assertThat(tokens).as("the demo's reply to \"%s\"", TEXT).hasSizeGreaterThanOrEqualTo(3);

    List<ModelInferResponse> r = stream(chat("c1", TEXT)).responses();
    assertThat(r).as("one response per token, then the final one").hasSize(tokens.size() + 1);
    assertThat(r).extracting(ModelInferResponse::getId).containsOnly("c1");
    List<String> streamed = new ArrayList<>();
    for (ModelInferResponse iteration : r.subList(0, tokens.size())) {
      assertThat(isFinal(iteration)).isFalse();
      List<Tensor> out = outputs(iteration);
      assertThat(out).extracting(Tensor::name).containsExactly("tokens");
      assertThat(out.get(0).shape()).containsExactly(1);
      streamed.add(out.get(0).strings().get(0));
    }
    assertThat(streamed).isEqualTo(tokens);
    ModelInferResponse last = r.get(tokens.size());
    assertThat(isFinal(last)).isTrue();
    assertThat(outputs(last)).isEqualTo(unary);
  }

  @Test
  void recommendAnswersOneFinalResponseEqualToModelInfer() throws Exception {
    ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("recommend").setId("r1")
        .addInputs(InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(1)
            .setContents(InferTensorContents.newBuilder().addInt64Contents(42)))
        .build();
    List<ModelInferResponse> r = stream(request).responses();
    assertThat(r).singleElement().satisfies(only -> {
      assertThat(only.getId()).isEqualTo("r1");
      assertThat(isFinal(only)).isTrue();
      assertThat(outputs(only)).extracting(Tensor::name).containsExactly("items", "scores");
      assertThat(outputs(only)).isEqualTo(outputs(unary(request)));
    });
  }

  @Test
  void anUnknownNameIsAnErrorResponseAndTheStreamAnswersTheNextRequest() throws Exception {
    List<ModelStreamInferResponse> all = stream(
        ModelInferRequest.newBuilder().setModelName("nope").setId("bad").build(), chat("good", TEXT)).all();
    assertThat(all.get(0).getErrorMessage()).startsWith("model: \"nope\" (expected: a pipeline, one of [chat, recommend]");
    assertThat(all.get(0).getInferResponse().getId()).isEqualTo("bad");
    assertThat(isFinal(all.get(0).getInferResponse())).isTrue();
    List<ModelStreamInferResponse> next = all.subList(1, all.size());
    assertThat(next).hasSizeGreaterThanOrEqualTo(4).allSatisfy(x -> {
      assertThat(x.getErrorMessage()).isEmpty();
      assertThat(x.getInferResponse().getId()).isEqualTo("good");
    });
    assertThat(next).extracting(x -> isFinal(x.getInferResponse())).last().isEqualTo(true);
  }

  /**
   * The acceptance test of issue 12 for Triton's client: tritonclient's start_stream and
   * async_stream_infer get chat's tokens one response at a time, then the final response (the
   * script checks each, and that the tokens equal its unary infer's).
   */
  @Test
  void tritonclientReceivesChatsTokensOneResponseAtATimeThenTheFinalResponse() throws Exception {
    JsonObject summary = TestPython.summaryOf("tritonclient_stream.py", "tritonclient_stream", Duration.ofSeconds(120),
        "127.0.0.1:" + orchestrator.port, TEXT);
    String output = summary.toString();
    List<String> tokens = outputs(unary(chat("unary", TEXT))).get(2).strings();
    assertThat(strings(summary.getAsJsonArray("streamed_tokens"))).as(output).isEqualTo(tokens);
    assertThat(strings(summary.getAsJsonArray("final_tokens"))).as(output).isEqualTo(tokens);
    assertThat(summary.get("chat_requests").getAsInt()).as(output).isEqualTo(2);
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.getAsString()));
    return out;
  }

  private static ModelInferResponse unary(ModelInferRequest request) {
    return GRPCInferenceServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .modelInfer(request);
  }

  /** Sends the requests on one stream, half-closes it and waits for it to end. */
  private static StreamRecorder stream(ModelInferRequest... requests) throws InterruptedException {
    StreamRecorder s = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(orchestrator.channel).withDeadlineAfter(STREAM_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
        .modelStreamInfer(s);
    for (ModelInferRequest r : requests) {
      s.send(r);
    }
    s.halfClose();
    return s.awaitCompleted(STREAM_TIMEOUT.plusSeconds(5));
  }
}
