package io.junction.workers.api;

import static io.junction.workers.api.Requests.floats;
import static io.junction.workers.api.Requests.ints;
import static io.junction.workers.api.Requests.longs;
import static io.junction.workers.api.Requests.raw;
import static io.junction.workers.api.Requests.shape;
import static io.junction.workers.api.Requests.strings;
import static io.junction.workers.api.Requests.typed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.junction.grpc.RawCalls;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.workers.serving.CallAbandonedException.Reason;
import io.junction.workers.serving.CallScope;
import io.junction.workers.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Open Inference Protocol service in-process, over the real engine and the test models. */
class InferenceApiTest {
  @TempDir static Path repo;
  static InProcessWorker worker;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

  @BeforeAll
  static void start() throws Exception {
    TestModels.buildRepository(repo);
    worker = new InProcessWorker(repo, List.of("scale", "text", "ids"));
    stub = worker.inference();
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
  }

  private static List<Tensor> outputs(ModelInferResponse r) {
    return TensorCodec.fromOutputs(r.getOutputsList(), r.getRawOutputContentsList());
  }

  @Test
  void scaleAnswersEveryOutputRawInModelYamlOrder() {
    ModelInferResponse r = stub.modelInfer(typed("scale", floats("x", shape(2, 2), 1f, 2f, 3f, 4f)).toBuilder()
        .setId("req-7").build());
    assertThat(r.getModelName()).isEqualTo("scale");
    assertThat(r.getModelVersion()).isEqualTo("1");
    assertThat(r.getId()).isEqualTo("req-7");
    assertThat(r.getOutputsList()).allSatisfy(o -> assertThat(o.hasContents()).isFalse());
    assertThat(r.getRawOutputContentsCount()).isEqualTo(2);
    List<Tensor> out = outputs(r);
    assertThat(out).extracting(Tensor::name).containsExactly("y", "total");
    assertThat(out.get(0).shape()).containsExactly(2, 2);
    assertThat(out.get(0).floats()).containsExactly(2f, 4f, 6f, 8f);
    assertThat(out.get(1).doubles()).containsExactly(3.0, 7.0);
  }

  @Test
  void rawInputsAndOneRequestedOutput() {
    ModelInferRequest req = raw("scale", Tensor.ofFloats("x", shape(1, 2), 0.5f, -1f)).toBuilder()
        .setModelVersion("1")
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("total"))
        .build();
    List<Tensor> out = outputs(stub.modelInfer(req));
    assertThat(out).extracting(Tensor::name).containsExactly("total");
    assertThat(out.get(0).doubles()).containsExactly(-0.5);
  }

  @Test
  void stringsInAndOut() {
    List<Tensor> out = outputs(stub.modelInfer(typed("text",
        strings("text", shape(2), "Hello World".getBytes(StandardCharsets.UTF_8), "ÉTÉ".getBytes(StandardCharsets.UTF_8)))));
    // tf.strings.lower lowers ASCII only; the non-ASCII letters prove the UTF-8 bytes made the round trip intact.
    assertThat(out.get(0).strings()).containsExactly("hello world", "ÉtÉ");
    assertThat(out.get(1).ints()).containsExactly(11, 5);
  }

  @Test
  void twoInputsAreMatchedByNameAndConstraintBoundsAreAccepted() {
    List<Tensor> out = outputs(stub.modelInfer(typed("ids",
        longs("user_id", shape(2), 0, 1999), ints("bias", shape(2), 1, 9))));
    assertThat(out.get(0).longs()).containsExactly(-1, 19981);
  }

  @Test
  void metadataComesFromModelYaml() {
    ModelMetadataResponse m = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("ids").build());
    assertThat(m.getName()).isEqualTo("ids");
    assertThat(m.getVersionsList()).containsExactly("1");
    assertThat(m.getPlatform()).isEqualTo("tensorflow_savedmodel");
    assertThat(m.getInputsList()).extracting(t -> t.getName() + ":" + t.getDatatype() + t.getShapeList())
        .containsExactly("user_id:INT64[-1]", "bias:INT32[-1]");
    assertThat(m.getOutputsList()).extracting(t -> t.getName() + ":" + t.getDatatype() + t.getShapeList())
        .containsExactly("shifted:INT64[-1]");
    assertThatThrownBy(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void livenessReadinessAndServerMetadata() {
    assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("scale").build()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("scale").setVersion("1").build()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("scale").setVersion("2").build()).getReady()).isFalse();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()).getReady()).isFalse();
    assertThat(stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName()).isEqualTo("junction-worker");
  }

  @Test
  void healthReportsBothServicesServing() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(worker.channel);
    for (String service : List.of("", GRPCInferenceServiceGrpc.SERVICE_NAME, "junction.v1.WorkerControl")) {
      assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
          .as(service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }

  static Stream<Arguments> badRequests() {
    byte[] notUtf8 = {(byte) 0xC3, (byte) 0x28};
    return Stream.of(
        Arguments.of("unknown model", typed("nope", floats("x", shape(1, 2), 1f, 2f)),
            Status.Code.NOT_FOUND, "model: \"nope\" (expected: one of ids, scale, text loaded on this worker)"),
        Arguments.of("unknown version", typed("scale", floats("x", shape(1, 2), 1f, 2f)).toBuilder().setModelVersion("2").build(),
            Status.Code.NOT_FOUND, "model_version: \"2\" (expected: \"\" or \"1\""),
        Arguments.of("missing input", typed("ids", longs("user_id", shape(1), 1)),
            Status.Code.INVALID_ARGUMENT, "bias: missing (expected: an input of INT32 [-1] for model ids)"),
        Arguments.of("extra input", typed("scale", floats("x", shape(1, 2), 1f, 2f), floats("z", shape(1), 1f)),
            Status.Code.INVALID_ARGUMENT, "inputs: \"z\" (expected: only the inputs of model scale: x)"),
        Arguments.of("wrong datatype", typed("ids", ints("user_id", shape(1), 1), ints("bias", shape(1), 1)),
            Status.Code.INVALID_ARGUMENT, "user_id.datatype: INT32 (expected: INT64)"),
        Arguments.of("wrong rank", typed("scale", floats("x", shape(2), 1f, 2f)),
            Status.Code.INVALID_ARGUMENT, "x.shape: [2] (expected: rank 2, [-1, 2])"),
        Arguments.of("wrong dimension", typed("scale", floats("x", shape(1, 3), 1f, 2f, 3f)),
            Status.Code.INVALID_ARGUMENT, "x.shape[1]: 3 (expected: 2, as in [-1, 2])"),
        Arguments.of("batch over max_batch_size", typed("scale", floats("x", shape(9, 2), new float[18])),
            Status.Code.INVALID_ARGUMENT, "x.shape[0]: 9 (expected: at most 8, the max_batch_size of model scale)"),
        Arguments.of("empty batch", typed("scale", floats("x", shape(0, 2))),
            Status.Code.INVALID_ARGUMENT, "x.shape[0]: 0 (expected: a batch of 1..8)"),
        Arguments.of("batches differ across inputs", typed("ids", longs("user_id", shape(2), 1, 2), ints("bias", shape(3), 1, 2, 3)),
            Status.Code.INVALID_ARGUMENT, "bias.shape[0]: 3 (expected: 2, the batch of user_id)"),
        Arguments.of("unknown requested output", typed("scale", floats("x", shape(1, 2), 1f, 2f)).toBuilder()
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("z")).build(),
            Status.Code.INVALID_ARGUMENT, "outputs: \"z\" (expected: one of the outputs of model scale: y, total)"),
        Arguments.of("contents not matching the shape", typed("scale", floats("x", shape(1, 2), 1f, 2f, 3f)),
            Status.Code.INVALID_ARGUMENT, "x: 3 values in contents.fp32_contents (expected: 2 for the shape, as FP32)"),
        Arguments.of("raw contents not matching the shape", ModelInferRequest.newBuilder().setModelName("scale")
                .addInputs(TensorCodec.toRawInputHeader(Tensor.ofFloats("x", shape(1, 2), 1f, 2f)))
                .addRawInputContents(ByteString.copyFrom(new byte[4])).build(),
            Status.Code.INVALID_ARGUMENT, "x: 4 bytes of raw contents (expected: 8"),
        Arguments.of("unknown datatype name", typed("scale", Requests.input("x", "FLOAT", shape(1, 2),
                floats("x", shape(1, 2), 1f, 2f).getContents())),
            Status.Code.INVALID_ARGUMENT, "x.datatype: \"FLOAT\" (expected: one of BOOL,"),
        Arguments.of("negative dimension", typed("scale", floats("x", shape(-1, 2), 1f, 2f)),
            Status.Code.INVALID_ARGUMENT, "x.shape[0]: -1 (expected: >= 0 in a concrete tensor)"),
        Arguments.of("input given twice", typed("scale", floats("x", shape(1, 2), 1f, 2f), floats("x", shape(1, 2), 1f, 2f)),
            Status.Code.INVALID_ARGUMENT, "x: given twice (expected: each input once)"),
        Arguments.of("integer outside its constraint", typed("ids", longs("user_id", shape(2), 3, 5000), ints("bias", shape(2), 0, 0)),
            Status.Code.INVALID_ARGUMENT, "user_id: 5000 (expected: 0..1999)"),
        Arguments.of("negative integer outside its constraint", typed("ids", longs("user_id", shape(1), -1), ints("bias", shape(1), 0)),
            Status.Code.INVALID_ARGUMENT, "user_id: -1 (expected: 0..1999)"),
        Arguments.of("bytes that are not UTF-8", typed("text", strings("text", shape(1), notUtf8)),
            Status.Code.INVALID_ARGUMENT, "text[0]: bytes that are not UTF-8 (expected: UTF-8 text)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badRequestsAreRefusedBeforeTheEngineWithAClearStatus(String what, ModelInferRequest request,
      Status.Code code, String message) {
    assertThatThrownBy(() -> stub.modelInfer(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).contains(message);
        });
  }

  static Stream<Arguments> malformedRequests() {
    return Stream.of(
        Arguments.of("inference.GRPCInferenceService/ModelInfer", RawCalls.FIELD_1_NOT_UTF8, "inference.ModelInferRequest"),
        Arguments.of("inference.GRPCInferenceService/ModelInfer", RawCalls.NOT_PROTOBUF, "inference.ModelInferRequest"),
        Arguments.of("inference.GRPCInferenceService/ModelReady", RawCalls.FIELD_1_NOT_UTF8, "inference.ModelReadyRequest"),
        Arguments.of("junction.v1.WorkerControl/Load", RawCalls.FIELD_1_NOT_UTF8, "junction.v1.LoadModelRequest"),
        Arguments.of("junction.v1.WorkerControl/Unload", RawCalls.NOT_PROTOBUF, "junction.v1.UnloadModelRequest"));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("malformedRequests")
  void requestThatDoesNotParseIsInvalidArgumentNamingTheMessage(String method, byte[] body, String type) {
    assertThatThrownBy(() -> RawCalls.call(worker.channel, method, body))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("request: not a " + type + ": ")
              .contains("(expected: a serialized " + type + ", its strings in UTF-8)");
        });
  }

  @Test
  void requestThatParsesStillReachesTheServiceThroughTheRawBinding() {
    byte[] body = ModelReadyRequest.newBuilder().setName("scale").build().toByteArray();
    byte[] answer = RawCalls.call(worker.channel, "inference.GRPCInferenceService/ModelReady", body);
    assertThat(answer).isEqualTo(io.junction.proto.inference.ModelReadyResponse.newBuilder().setReady(true).build()
        .toByteArray());
  }

  @Test
  void callScopeTellsADeadlineFromACancellation() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      Context.CancellableContext cancelled = Context.current().withCancellation();
      CallScope scope = InferenceApi.scopeOf(cancelled);
      assertThat(scope.abandoned()).isEmpty();
      cancelled.cancel(null);
      assertThat(scope.abandoned()).contains(Reason.CANCELLED);

      Context.CancellableContext expired = Context.current()
          .withDeadline(Deadline.after(-1, TimeUnit.SECONDS), timer);
      assertThat(InferenceApi.scopeOf(expired).abandoned()).isEqualTo(Optional.of(Reason.DEADLINE_EXCEEDED));
      expired.cancel(null);
    } finally {
      timer.shutdownNow();
    }
  }
}
