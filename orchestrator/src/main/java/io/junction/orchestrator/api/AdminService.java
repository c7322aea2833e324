package io.junction.orchestrator.api;

import io.grpc.stub.StreamObserver;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineDescription;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.Pools;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ListModelsRequest;
import io.junction.proto.v1.ListModelsResponse;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListPipelinesResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ModelInfo;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.SegmentInfo;
import io.junction.proto.v1.TensorSpec;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** {@code junction.v1.AdminService}: what the orchestrator has, read from the pools and pipelines as they are. */
public final class AdminService extends AdminServiceGrpc.AdminServiceImplBase {
  private final Pools pools;
  private final Pipelines pipelines;

  public AdminService(Pools pools, Pipelines pipelines) {
    this.pools = Objects.requireNonNull(pools);
    this.pipelines = Objects.requireNonNull(pipelines);
  }

  @Override
  public void listPools(ListPoolsRequest request, StreamObserver<ListPoolsResponse> observer) {
    Calls.respondNow(observer, () -> {
      ListPoolsResponse.Builder b = ListPoolsResponse.newBuilder();
      pools.snapshot().forEach(p -> b.addPools(toInfo(p)));
      return b.build();
    });
  }

  @Override
  public void listPipelines(ListPipelinesRequest request, StreamObserver<ListPipelinesResponse> observer) {
    Calls.respondNow(observer, () -> {
      ListPipelinesResponse.Builder b = ListPipelinesResponse.newBuilder();
      for (PipelineDescription d : pipelines.describe()) {
        PipelineInfo.Builder info = PipelineInfo.newBuilder()
            .setName(d.name())
            .addAllInputs(specs(d.inputs()))
            .addAllOutputs(specs(d.outputs()))
            .addAllSteps(d.steps());
        d.segments().forEach(seg ->
            info.addSegments(SegmentInfo.newBuilder().setId(seg.id()).setPool(seg.group()).addAllSteps(seg.steps())));
        b.addPipelines(info);
      }
      return b.build();
    });
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
    Calls.respondNow(observer, () -> {
      ListModelsResponse.Builder b = ListModelsResponse.newBuilder();
      Map<String, ModelSignature> sorted = new TreeMap<>(pools.models());
      sorted.forEach((name, sig) -> b.addModels(ModelInfo.newBuilder()
          .setName(name)
          .setPool(pools.poolOf(name).orElse(""))
          .addAllInputs(specs(sig.inputs()))
          .addAllOutputs(specs(sig.outputs()))));
      return b.build();
    });
  }

  private static PoolInfo toInfo(PoolSnapshot p) {
    PoolInfo.Builder b = PoolInfo.newBuilder()
        .setName(p.name())
        .setKind(p.kind().name().toLowerCase(Locale.ROOT))
        .addAllModels(p.models())
        .setDevice(p.device().toString())
        .setAffinity(p.affinity().configName())
        .setQueued(p.queued());
    for (PoolSnapshot.ReplicaSnapshot r : p.replicas()) {
      b.addReplicas(ReplicaInfo.newBuilder()
          .setId(r.id())
          .setPid(r.pid())
          .setEndpoint(nullToEmpty(r.endpoint()))
          .setSocket(nullToEmpty(r.socket()))
          .setDevice(nullToEmpty(r.device()))
          .setState(nullToEmpty(r.state()))
          .setInFlight(r.inFlight())
          .setRestarts(r.restarts())
          .setCpus(nullToEmpty(r.cpus()))
          .setLastError(nullToEmpty(r.lastError())));
    }
    return b.build();
  }

  static List<TensorSpec> specs(List<io.junction.tensor.TensorSpec> specs) {
    return specs.stream()
        .map(s -> TensorSpec.newBuilder().setName(s.name()).setDatatype(s.datatype().name()).addAllShape(s.shape()).build())
        .toList();
  }

  // a snapshot's optional texts may be null before a replica reports them; proto strings may not
  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
