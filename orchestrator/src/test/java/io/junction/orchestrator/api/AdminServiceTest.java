package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.engine.ModelSignature;
import io.junction.orchestrator.pool.Device;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ListModelsRequest;
import io.junction.proto.v1.ListModelsResponse;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListPipelinesResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.PoolScaling;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.tensor.DataType;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdminServiceTest {
  private static final FakePools pools = new FakePools();
  private static final FakePipelines pipelines = new FakePipelines();
  private static InProcess grpc;
  private static AdminServiceGrpc.AdminServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    pools.snapshot(List.of(
        new PoolSnapshot("conversation", PoolSpec.Kind.LOCAL, List.of("featurizer", "intent"), Device.CPU,
            PoolSpec.Affinity.SESSION, List.of(
            new PoolSnapshot.ReplicaSnapshot("conversation-0", 4242, "127.0.0.1:9100", "/tmp/j/conversation-0-1.sock", "cpu", "READY", 3, 1, "0-1", ""),
            new PoolSnapshot.ReplicaSnapshot("conversation-1", 0, "127.0.0.1:9101", "", null, "STARTING", 0, 0, null, null),
            new PoolSnapshot.ReplicaSnapshot("conversation-2", 4243, "127.0.0.1:9102", "", "cpu", "READY", 0, 0, "0-1", "",
                true, "3 failures in a row, last: UNAVAILABLE: fault injected (back on probation in 7.5 s)")), 0,
            java.util.Optional.of(new PoolSnapshot.Scaling(1, 3, "up",
                "queue above 0 at every check for 3.0 s (2 to 9 calls waiting): 2 -> 3 replicas", 1_700_000_000_000L))),
        new PoolSnapshot("gpu", PoolSpec.Kind.STATIC, List.of("ranker"), Device.gpu(1), List.of(
            new PoolSnapshot.ReplicaSnapshot("gpu-0", 0, "10.0.0.5:8001", "", "gpu:1", "FAILED", 0, 4, "", "connection refused")))));
    pools.model("gpu", new ModelSignature("ranker",
            List.of(FakePipelines.spec("user_id", DataType.INT64, -1), FakePipelines.spec("candidates", DataType.INT64, -1, -1)),
            List.of(FakePipelines.spec("items", DataType.INT64, -1, 50))),
        (in, out, d) -> CompletableFuture.completedFuture(List.of()));
    pools.model("conversation", new ModelSignature("featurizer",
            List.of(FakePipelines.spec("text", DataType.BYTES, -1)), List.of(FakePipelines.spec("features", DataType.FP32, -1, 2048))),
        (in, out, d) -> CompletableFuture.completedFuture(List.of()));
    pipelines.put(FakePipelines.chat(), (in, o, d) -> new CompletableFuture<>());
    grpc = new InProcess(new AdminService(pools, pipelines));
    stub = AdminServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterAll
  static void stop() {
    grpc.close();
  }

  @Test
  void listsEveryPoolAndEveryReplicaField() {
    ListPoolsResponse r = stub.listPools(ListPoolsRequest.getDefaultInstance());
    assertThat(r.getPoolsList()).extracting(PoolInfo::getName).containsExactly("conversation", "gpu");
    PoolInfo conv = r.getPools(0);
    assertThat(conv.getKind()).isEqualTo("local");
    assertThat(conv.getDevice()).isEqualTo("cpu");
    assertThat(conv.getModelsList()).containsExactly("featurizer", "intent");
    assertThat(conv.getAffinity()).isEqualTo("session");
    assertThat(conv.getReplicas(0)).isEqualTo(ReplicaInfo.newBuilder()
        .setId("conversation-0").setPid(4242).setEndpoint("127.0.0.1:9100").setSocket("/tmp/j/conversation-0-1.sock").setDevice("cpu").setState("READY")
        .setInFlight(3).setRestarts(1).setCpus("0-1").build());
    assertThat(conv.getReplicas(1).getState()).isEqualTo("STARTING");
    assertThat(conv.getReplicas(1).getDevice()).as("not known yet").isEmpty();
    assertThat(conv.getReplicas(1).getEjected()).isFalse();
    assertThat(conv.getReplicas(2).getEjected()).isTrue();
    assertThat(conv.getReplicas(2).getEjection())
        .isEqualTo("3 failures in a row, last: UNAVAILABLE: fault injected (back on probation in 7.5 s)");
    PoolInfo gpu = r.getPools(1);
    assertThat(gpu.getKind()).isEqualTo("static");
    assertThat(gpu.getDevice()).isEqualTo("gpu:1");
    assertThat(gpu.getAffinity()).as("the default, written out").isEqualTo("none");
    assertThat(gpu.getReplicas(0).getLastError()).isEqualTo("connection refused");
    assertThat(gpu.getReplicas(0).getRestarts()).isEqualTo(4);
    assertThat(gpu.getReplicas(0).getSocket()).as("a static member is dialed over TCP").isEmpty();
    assertThat(conv.getScaling()).isEqualTo(PoolScaling.newBuilder().setMinReplicas(1).setMaxReplicas(3)
        .setLastDecision("up").setLastReason("queue above 0 at every check for 3.0 s (2 to 9 calls waiting): 2 -> 3 replicas")
        .setLastDecisionUnixMs(1_700_000_000_000L).build());
    assertThat(gpu.hasScaling()).as("a pool with a fixed count").isFalse();
  }

  @Test
  void listsPipelinesWithTheirSignatures() {
    ListPipelinesResponse r = stub.listPipelines(ListPipelinesRequest.getDefaultInstance());
    assertThat(r.getPipelinesList()).extracting(PipelineInfo::getName).containsExactly("chat");
    PipelineInfo chat = r.getPipelines(0);
    assertThat(chat.getInputs(0).getName()).isEqualTo("text");
    assertThat(chat.getInputs(0).getDatatype()).isEqualTo("BYTES");
    assertThat(chat.getInputs(0).getShapeList()).containsExactly(1L);
    assertThat(chat.getOutputsList()).extracting(s -> s.getName() + ":" + s.getDatatype() + s.getShapeList())
        .containsExactly("intent:BYTES[1]", "confidence:FP32[1]", "tokens:BYTES[-1]");
    assertThat(chat.getStepsList()).containsExactly("featurize", "classify", "decode");
  }

  @Test
  void listsModelsByNameWithTheirPool() {
    ListModelsResponse r = stub.listModels(ListModelsRequest.getDefaultInstance());
    assertThat(r.getModelsList()).extracting(m -> m.getName() + "@" + m.getPool())
        .containsExactly("featurizer@conversation", "ranker@gpu");
    assertThat(r.getModels(1).getInputsList()).extracting(s -> s.getName() + s.getShapeList())
        .containsExactly("user_id[-1]", "candidates[-1, -1]");
    assertThat(r.getModels(0).getOutputs(0).getShapeList()).containsExactly(-1L, 2048L);
  }
}
