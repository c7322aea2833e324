package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineResult;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InferenceServiceTest {
  private static final FakePools pools = new FakePools();
  private static final FakePipelines pipelines = new FakePipelines();
  private static InProcess grpc;
  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    pools.model("recs", new ModelSignature("user_tower",
            List.of(FakePipelines.spec("user_id", DataType.INT64, -1)),
            List.of(FakePipelines.spec("embedding", DataType.FP32, -1, 2))),
        (in, out, d) -> {
          long user = in.get(0).longs()[0];
          if (user > 1999) {
            return CompletableFuture.failedFuture(new ReplicaCallException("recs-0",
                Status.INVALID_ARGUMENT.withDescription("user_id: " + user + " (expected: 0..1999)")));
          }
          return CompletableFuture.completedFuture(List.of(Tensor.ofFloats("embedding", new long[] {1, 2}, user, -user)));
        });
    pools.model("conversation", new ModelSignature("featurizer",
            List.of(FakePipelines.spec("text", DataType.BYTES, -1)),
            List.of(FakePipelines.spec("features", DataType.FP32, -1, 2048))),
        (in, out, d) -> new CompletableFuture<>());
    pipelines.put(FakePipelines.chat(), (in, o, d) -> CompletableFuture.completedFuture(new PipelineResult("chat", List.of(
        Tensor.ofStrings("intent", new long[] {1}, List.of("greet")),
        Tensor.ofFloats("confidence", new long[] {1}, 0.5f),
        Tensor.ofStrings("tokens", new long[] {2}, List.of("hello", in.get(0).strings().get(0)))), List.of())));
    grpc = new InProcess(new InferenceService(pools, pipelines, ApiLimits.DEFAULT));
    stub = GRPCInferenceServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterAll
  static void stop() {
    grpc.close();
  }

  @BeforeEach
  void allReady() {
    pools.snapshot(List.of(FakePools.pool("recs", List.of("user_tower"), "READY", "STARTING"),
        FakePools.pool("conversation", List.of("featurizer"), "READY")));
  }

  private static StatusRuntimeException failure(Function<GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub, ?> call) {
    try {
      call.apply(stub);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("call succeeded");
  }

  @Test
  void isLiveAndReadyWhenEveryPoolHasAReadyReplica() {
    assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName()).isEqualTo("junction");
  }

  @Test
  void isNotReadyWhileAPoolHasNoReadyReplica() {
    pools.snapshot(List.of(FakePools.pool("recs", List.of("user_tower"), "READY"),
        FakePools.pool("conversation", List.of("featurizer"), "STARTING", "FAILED")));
    assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("user_tower").build()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("featurizer").build()).getReady()).isFalse();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("chat").build()).getReady())
        .as("a pipeline needs every pool").isFalse();
  }

  @Test
  void modelMetadataComesFromThePoolAndPipelineMetadataFromThePlan() {
    ModelMetadataResponse model = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("user_tower").build());
    assertThat(model.getInputsList()).extracting(t -> t.getName() + ":" + t.getDatatype() + t.getShapeList())
        .containsExactly("user_id:INT64[-1]");
    assertThat(model.getOutputsList()).extracting(t -> t.getName() + ":" + t.getDatatype() + t.getShapeList())
        .containsExactly("embedding:FP32[-1, 2]");
    ModelMetadataResponse chat = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("chat").build());
    assertThat(chat.getPlatform()).isEqualTo("ensemble");
    assertThat(chat.getInputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName).containsExactly("text");
    assertThat(chat.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName)
        .containsExactly("intent", "confidence", "tokens");
  }

  @Test
  void infersAModelThroughItsPoolAndAnswersRaw() {
    ModelInferResponse r = stub.modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower").setId("req-1")
        .addInputs(InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(1)
            .setContents(InferTensorContents.newBuilder().addInt64Contents(3)))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("embedding"))
        .build());
    assertThat(r.getModelName()).isEqualTo("user_tower");
    assertThat(r.getId()).isEqualTo("req-1");
    assertThat(r.getOutputs(0).hasContents()).as("raw, not typed").isFalse();
    List<Tensor> out = TensorCodec.fromOutputs(r.getOutputsList(), r.getRawOutputContentsList());
    assertThat(out.get(0).floats()).containsExactly(3f, -3f);
    assertThat(pools.last().model()).isEqualTo("user_tower");
    assertThat(pools.last().outputs()).containsExactly("embedding");
    assertThat(pools.last().deadline()).as("a default deadline").isNotNull();
  }

  @Test
  void infersAPipelineAsIfItWereAModel() {
    ModelInferResponse r = stub.modelInfer(ModelInferRequest.newBuilder().setModelName("chat")
        .addInputs(InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(1))
        .addRawInputContents(Tensor.ofStrings("text", new long[] {1}, List.of("there")).data())
        .build());
    List<Tensor> out = TensorCodec.fromOutputs(r.getOutputsList(), r.getRawOutputContentsList());
    assertThat(out).extracting(Tensor::name).containsExactly("intent", "confidence", "tokens");
    assertThat(out.get(2).strings()).containsExactly("hello", "there");
  }

  @Test
  void theWorkersInvalidArgumentReachesTheClient() {
    StatusRuntimeException e = failure(s -> s.modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower")
        .addInputs(InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(1)
            .setContents(InferTensorContents.newBuilder().addInt64Contents(5000)))
        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("user_id: 5000 (expected: 0..1999)");
  }

  @Test
  void unknownNamesAreNotFoundAndListWhatExists() {
    String expected = "model: \"nope\" (expected: a pipeline, one of [chat], or a model, one of [featurizer, user_tower])";
    for (StatusRuntimeException e : List.of(
        failure(s -> s.modelInfer(ModelInferRequest.newBuilder().setModelName("nope").build())),
        failure(s -> s.modelReady(ModelReadyRequest.newBuilder().setName("nope").build())),
        failure(s -> s.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build())))) {
      assertThat(e.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
      assertThat(e.getStatus().getDescription()).isEqualTo(expected);
    }
  }

  @Test
  void aModelVersionIsRefusedRatherThanAnsweredByWhateverVersionRuns() {
    String expected = "model_version: \"7\" (expected: \"\"; the orchestrator serves one version of each name "
        + "and does not choose among versions)";
    for (String name : List.of("user_tower", "chat")) {
      for (StatusRuntimeException e : List.of(
          failure(s -> s.modelInfer(ModelInferRequest.newBuilder().setModelName(name).setModelVersion("7")
              .addInputs(InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(1)
                  .setContents(InferTensorContents.newBuilder().addInt64Contents(3)))
              .build())),
          failure(s -> s.modelReady(ModelReadyRequest.newBuilder().setName(name).setVersion("7").build())),
          failure(s -> s.modelMetadata(ModelMetadataRequest.newBuilder().setName(name).setVersion("7").build())))) {
        assertThat(e.getStatus().getCode()).as(name).isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).as(name).isEqualTo(expected);
      }
    }
  }

  @Test
  void malformedInputsAreInvalid() {
    StatusRuntimeException e = failure(s -> s.modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower")
        .addInputs(InferInputTensor.newBuilder().setName("user_id").setDatatype("INT64").addShape(-1))
        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("user_id.shape[0]: -1 (expected: >= 0 in a concrete tensor)");
  }
}
