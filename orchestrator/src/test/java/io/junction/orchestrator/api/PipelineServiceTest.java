package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.junction.engine.PipelineInputException;
import io.junction.engine.PipelineResult;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferResponse.InferOutputTensor;
import io.junction.proto.v1.PipelineIteration;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PipelineServiceTest {
  private static final FakePipelines pipelines = new FakePipelines();
  private static InProcess grpc;
  private static PipelineServiceGrpc.PipelineServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    pipelines.put(FakePipelines.recommend(), PipelineServiceTest::echo);
    grpc = new InProcess(new PipelineService(pipelines, ApiLimits.DEFAULT));
    stub = PipelineServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterAll
  static void stop() {
    grpc.close();
  }

  @BeforeEach
  void reset() {
    pipelines.answer("recommend", PipelineServiceTest::echo);
    pipelines.forget();
  }

  /** Two items per user id, scored 1 and 0.5, and one step timing. */
  private static CompletableFuture<PipelineResult> echo(List<Tensor> in, Object options, Object deadline) {
    long user = in.get(0).longs()[0];
    return CompletableFuture.completedFuture(new PipelineResult("recommend", List.of(
        Tensor.ofLongs("items", new long[] {1, 2}, user * 10, user * 10 + 1),
        Tensor.ofFloats("scores", new long[] {1, 2}, 1f, 0.5f)),
        List.of(new PipelineResult.StepTiming("user_tower", 120, 1), new PipelineResult.StepTiming("ranker", 300, 2))));
  }

  private static InferInputTensor.Builder user() {
    return InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(1);
  }

  /** How Run fails; RunStream must fail the same way, with the same code and message. */
  private static StatusRuntimeException failure(RunPipelineRequest request) {
    StatusRuntimeException unary = null;
    try {
      stub.run(request);
    } catch (StatusRuntimeException e) {
      unary = e;
    }
    if (unary == null) {
      throw new AssertionError("call succeeded: " + request);
    }
    StatusRuntimeException streamed = null;
    try {
      stub.runStream(request).forEachRemaining(e -> {});
    } catch (StatusRuntimeException e) {
      streamed = e;
    }
    assertThat(streamed).as("RunStream of " + request).isNotNull();
    assertThat(streamed.getStatus().getCode()).isEqualTo(unary.getStatus().getCode());
    assertThat(streamed.getStatus().getDescription()).isEqualTo(unary.getStatus().getDescription());
    return unary;
  }

  private static RunPipelineRequest userRequest(long id) {
    return RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setContents(InferTensorContents.newBuilder().addInt64Contents(id))).build();
  }

  @Test
  void runStreamSendsOutputsAndIterationsAsToldThenTheResultRunGives() {
    pipelines.answerStreaming("recommend", (in, o, d, listener) -> {
      listener.onOutput("scores", Tensor.ofFloats("scores", new long[] {1, 2}, 1f, 0.5f));
      listener.onIteration("loop", 0, List.of(Tensor.ofLongs("next_id", new long[] {1}, 7),
          Tensor.ofStrings("next_token", new long[] {1}, List.of("hi"))));
      // FP16 has no typed contents: left out of events.
      listener.onOutput("half", new Tensor("half", io.junction.tensor.DataType.FP16, new long[] {1},
          ByteString.copyFrom(new byte[2])));
      listener.onIteration("loop", 1, List.of(Tensor.ofLongs("next_id", new long[] {1}, 8)));
      return echo(in, o, d);
    });
    List<RunPipelineEvent> events = new ArrayList<>();
    stub.runStream(userRequest(4)).forEachRemaining(events::add);

    assertThat(events).extracting(e -> e.getEventCase().name()).containsExactly("OUTPUT", "ITERATION", "ITERATION", "RESULT");
    assertThat(events.get(0).getOutput().getName()).isEqualTo("scores");
    assertThat(events.get(0).getOutput().getContents().getFp32ContentsList()).containsExactly(1f, 0.5f);
    PipelineIteration first = events.get(1).getIteration();
    assertThat(first.getStep()).isEqualTo("loop");
    assertThat(first.getIndex()).isZero();
    assertThat(first.getValuesList()).extracting(InferOutputTensor::getName).containsExactly("next_id", "next_token");
    assertThat(first.getValues(1).getContents().getBytesContents(0).toStringUtf8()).isEqualTo("hi");
    assertThat(events.get(2).getIteration().getIndex()).isEqualTo(1);
    pipelines.answer("recommend", PipelineServiceTest::echo);
    assertThat(events.get(3).getResult()).isEqualTo(stub.run(userRequest(4)));
  }

  @Test
  void runAndRunStreamRunThePipelineAlike() {
    RunPipelineRequest request = userRequest(1).toBuilder().addOutputs("items").build();
    stub.run(request);
    FakePipelines.Call unary = pipelines.last();
    stub.runStream(request).forEachRemaining(e -> {});
    FakePipelines.Call streamed = pipelines.last();
    assertThat(streamed.inputs()).isEqualTo(unary.inputs());
    assertThat(streamed.options()).isEqualTo(unary.options());
  }

  @Test
  void runsOnTypedInputsAndAnswersWithTypedOutputs() {
    RunPipelineResponse r = stub.run(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setContents(InferTensorContents.newBuilder().addInt64Contents(4))).build());
    assertThat(r.getPipeline()).isEqualTo("recommend");
    assertThat(r.getOutputsList()).extracting(InferOutputTensor::getName).containsExactly("items", "scores");
    InferOutputTensor items = r.getOutputs(0);
    assertThat(items.getDatatype()).isEqualTo("INT64");
    assertThat(items.getShapeList()).containsExactly(1L, 2L);
    assertThat(items.getContents().getInt64ContentsList()).containsExactly(40L, 41L);
    assertThat(r.getOutputs(1).getContents().getFp32ContentsList()).containsExactly(1f, 0.5f);
    assertThat(r.getStepsList()).extracting(s -> s.getStep() + ":" + s.getMicros() + ":" + s.getAttempts())
        .containsExactly("user_tower:120:1", "ranker:300:2");
  }

  @Test
  void runsOnRawInputs() {
    ByteString raw = ByteString.copyFrom(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(9).array());
    RunPipelineResponse r = stub.run(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user()).addRawInputContents(raw).build());
    assertThat(r.getOutputs(0).getContents().getInt64ContentsList()).containsExactly(90L, 91L);
  }

  @Test
  void passesTheRequestedOutputsOn() {
    stub.run(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setContents(InferTensorContents.newBuilder().addInt64Contents(1))).addOutputs("items").build());
    assertThat(pipelines.last().options().outputs()).containsExactly("items");
  }

  @Test
  void theSessionIdIsTheRunsAffinityKey() {
    RunPipelineRequest.Builder request = RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setContents(InferTensorContents.newBuilder().addInt64Contents(1)));
    stub.run(request.setSessionId("user-7:chat").build());
    assertThat(pipelines.last().options().affinityKey()).hasValue("user-7:chat");
    stub.run(request.setSessionId("").build());
    assertThat(pipelines.last().options().affinityKey()).as("no session, no key").isEmpty();
  }

  @Test
  void aSessionIdIsCheckedAsConverseChecksIt() {
    RunPipelineRequest.Builder request = RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setContents(InferTensorContents.newBuilder().addInt64Contents(1)));
    StatusRuntimeException e = failure(request.setSessionId("has space").build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("session_id: \"has space\" (expected: 1 to 128 characters of [A-Za-z0-9._:-])");
    assertThat(failure(request.setSessionId("s".repeat(129)).build()).getStatus().getDescription())
        .startsWith("session_id: \"ssss").contains("(129 characters)");
    assertThat(pipelines.last()).as("never reaches the pipeline").isNull();
    assertThat(stub.run(request.setSessionId("s".repeat(128)).build()).getPipeline()).isEqualTo("recommend");
  }

  @Test
  void unknownPipelineIsNotFound() {
    StatusRuntimeException e = failure(RunPipelineRequest.newBuilder().setPipeline("recomend").build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).isEqualTo("pipeline: \"recomend\" (expected: one of [recommend])");
  }

  @Test
  void emptyPipelineNameIsInvalid() {
    StatusRuntimeException e = failure(RunPipelineRequest.getDefaultInstance());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).startsWith("pipeline: empty (expected: ");
  }

  @Test
  void malformedTensorsAreInvalid() {
    StatusRuntimeException wrongCount = failure(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setContents(InferTensorContents.newBuilder().addInt64Contents(1).addInt64Contents(2))).build());
    assertThat(wrongCount.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(wrongCount.getStatus().getDescription()).contains("user_id: 2 values in contents.int64_contents (expected: 1");

    StatusRuntimeException badType = failure(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setDatatype("LONG")).build());
    assertThat(badType.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(badType.getStatus().getDescription()).startsWith("user_id.datatype: \"LONG\" (expected: one of ");

    StatusRuntimeException badRaw = failure(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user()).addRawInputContents(ByteString.copyFrom(new byte[3])).build());
    assertThat(badRaw.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(pipelines.last()).as("never reaches the pipeline").isNull();
  }

  @Test
  void inputsThatDoNotMatchThePipelineAreInvalid() {
    pipelines.answer("recommend", (in, o, d) ->
        CompletableFuture.failedFuture(new PipelineInputException("user: unknown input (expected: user_id)")));
    StatusRuntimeException e = failure(RunPipelineRequest.newBuilder().setPipeline("recommend")
        .addInputs(user().setName("user").setContents(InferTensorContents.newBuilder().addInt64Contents(1))).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("user: unknown input (expected: user_id)");
  }
}
