package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.engine.ModelSignature;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tensor limits of {@code limits:} on ModelInfer, ModelStreamInfer and PipelineService, in
 * process: a tensor beyond one is INVALID_ARGUMENT naming the limit and its config key, and
 * reaches no model nor pipeline; a tensor at the limits is served.
 */
class TensorLimitsTest {
  private static final ApiLimits LIMITS = new ApiLimits(2000, 50, Duration.ofSeconds(30), 100, 8, 16);
  private static final FakePools pools = new FakePools();
  private static final FakePipelines pipelines = new FakePipelines();
  private static final AtomicInteger modelCalls = new AtomicInteger();
  private static InProcess grpc;
  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub infer;
  private static PipelineServiceGrpc.PipelineServiceBlockingStub pipeline;

  @BeforeAll
  static void start() {
    pools.model("any", new ModelSignature("m",
            List.of(FakePipelines.spec("x", DataType.FP32, -1, -1), FakePipelines.spec("s", DataType.BYTES, -1)),
            List.of(FakePipelines.spec("y", DataType.FP32, -1))),
        (in, out, d) -> {
          modelCalls.incrementAndGet();
          return CompletableFuture.completedFuture(List.of(Tensor.ofFloats("y", new long[] {1}, 1f)));
        });
    pipelines.put(FakePipelines.chat(), (in, o, d) -> FakePipelines.done("chat",
        Tensor.ofStrings("intent", new long[] {1}, List.of("greet"))));
    grpc = new InProcess(new InferenceService(pools, pipelines, LIMITS), new PipelineService(pipelines, LIMITS));
    infer = GRPCInferenceServiceGrpc.newBlockingStub(grpc.channel);
    pipeline = PipelineServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterAll
  static void stop() {
    grpc.close();
  }

  @BeforeEach
  void forget() {
    modelCalls.set(0);
    pipelines.forget();
  }

  private static InferInputTensor.Builder header(String name, DataType type, long... shape) {
    InferInputTensor.Builder b = InferInputTensor.newBuilder().setName(name).setDatatype(type.name());
    for (long d : shape) {
      b.addShape(d);
    }
    return b;
  }

  /** A raw FP32 tensor of zeros of this shape. */
  private static ModelInferRequest floats(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return ModelInferRequest.newBuilder().setModelName("m").addInputs(header("x", DataType.FP32, shape))
        .addRawInputContents(ByteString.copyFrom(new byte[(int) Math.max(0, Math.min(n, 1 << 20)) * 4])).build();
  }

  private static void refused(Runnable call, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).isEqualTo(message);
    });
    assertThat(modelCalls.get()).as("no model call for a refused request").isZero();
  }

  @Test
  void aTensorAtTheLimitsIsServed() {
    assertThat(infer.modelInfer(floats(4, 25)).getOutputsCount()).isEqualTo(1);
    assertThat(infer.modelInfer(floats(8, 1)).getOutputsCount()).isEqualTo(1);
    assertThat(modelCalls.get()).isEqualTo(2);
  }

  @Test
  void moreElementsThanMaxTensorElementsIsRefused() {
    refused(() -> infer.modelInfer(floats(1, 101)), "x: 101 elements in shape [1, 101] (expected: <= 100 elements; "
        + "limits.max_tensor_elements in the config)");
  }

  @Test
  void aShapeWhoseProductOverflowsIsRefusedAsTooManyElements() {
    long big = 1L << 40;
    refused(() -> infer.modelInfer(ModelInferRequest.newBuilder().setModelName("m")
            .addInputs(header("x", DataType.FP32, 1, big, big, big)).build()),
        "x: more than 9223372036854775807 elements in shape [1, 1099511627776, 1099511627776, 1099511627776] "
            + "(expected: <= 100 elements; limits.max_tensor_elements in the config)");
  }

  @Test
  void aNegativeDimensionIsRefused() {
    refused(() -> infer.modelInfer(ModelInferRequest.newBuilder().setModelName("m")
        .addInputs(header("x", DataType.FP32, 1, -3)).build()), "x.shape[1]: -3 (expected: >= 0 in a concrete tensor)");
  }

  @Test
  void aFirstDimensionAboveMaxBatchSizeIsRefused() {
    refused(() -> infer.modelInfer(floats(9, 1)),
        "x.shape[0]: 9 (expected: <= 8, the batch size; limits.max_batch_size in the config)");
  }

  @Test
  void aLongerStringThanMaxStringBytesIsRefusedInTypedAndRawContents() {
    ByteString seventeen = ByteString.copyFrom("seventeen bytes!!", StandardCharsets.UTF_8);
    String message = "s[1]: 17 bytes (expected: <= 16 bytes in one BYTES element; limits.max_string_bytes in the config)";
    refused(() -> infer.modelInfer(ModelInferRequest.newBuilder().setModelName("m")
        .addInputs(header("s", DataType.BYTES, 2).setContents(InferTensorContents.newBuilder()
            .addBytesContents(ByteString.copyFromUtf8("ok")).addBytesContents(seventeen)))
        .build()), message);
    refused(() -> infer.modelInfer(ModelInferRequest.newBuilder().setModelName("m")
        .addInputs(header("s", DataType.BYTES, 2))
        .addRawInputContents(Tensor.ofStrings("s", new long[] {2}, List.of("ok", seventeen.toStringUtf8())).data())
        .build()), message);
  }

  @Test
  void pipelineServiceRunAndRunStreamCheckTheSameLimits() {
    RunPipelineRequest tooLong = RunPipelineRequest.newBuilder().setPipeline("chat")
        .addInputs(header("text", DataType.BYTES, 1).setContents(InferTensorContents.newBuilder()
            .addBytesContents(ByteString.copyFromUtf8("x".repeat(17)))))
        .build();
    String message = "text[0]: 17 bytes (expected: <= 16 bytes in one BYTES element; "
        + "limits.max_string_bytes in the config)";
    refused(() -> pipeline.run(tooLong), message);
    refused(() -> {
      Iterator<RunPipelineEvent> events = pipeline.runStream(tooLong);
      events.hasNext();
    }, message);
    assertThat(pipelines.last()).as("the pipeline never ran").isNull();
  }

  @Test
  void modelStreamInferAnswersTheLimitAsThatRequestsErrorAndGoesOn() {
    StreamRecorder s = new StreamRecorder();
    GRPCInferenceServiceGrpc.newStub(grpc.channel).modelStreamInfer(s);
    s.send(floats(9, 1).toBuilder().setId("big").build());
    s.send(floats(2, 2).toBuilder().setId("fine").build());
    s.halfClose();
    assertThat(s.all()).extracting(ModelStreamInferResponse::getErrorMessage).containsExactly(
        "x.shape[0]: 9 (expected: <= 8, the batch size; limits.max_batch_size in the config)", "");
    assertThat(modelCalls.get()).isEqualTo(1);
  }
}
