package io.junction.orchestrator.api;

import io.grpc.stub.StreamObserver;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineDescription;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.session.SessionListing;
import io.junction.orchestrator.session.SessionSummary;
import io.junction.orchestrator.session.Sessions;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.DrainReplicaRequest;
import io.junction.proto.v1.DrainReplicaResponse;
import io.junction.proto.v1.EndSessionRequest;
import io.junction.proto.v1.EndSessionResponse;
import io.junction.proto.v1.ListModelsRequest;
import io.junction.proto.v1.ListModelsResponse;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListPipelinesResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ListSessionsRequest;
import io.junction.proto.v1.ListSessionsResponse;
import io.junction.proto.v1.ModelInfo;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.PoolDiscovery;
import io.junction.proto.v1.PoolScaling;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.SegmentInfo;
import io.junction.proto.v1.SessionInfo;
import io.junction.proto.v1.TensorSpec;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * {@code junction.v1.AdminService}: what the orchestrator has, read from the pools, pipelines
 * and sessions as they are, ending a session, and draining a replica.
 */
public final class AdminService extends AdminServiceGrpc.AdminServiceImplBase {
  /** Sessions ListSessions returns when the request sets no limit, and the most it may ask for. */
  static final int DEFAULT_SESSION_LIMIT = 100;
  static final int MAX_SESSION_LIMIT = 1000;

  private final Pools pools;
  private final Pipelines pipelines;
  private final Sessions sessions;

  /** A service with a session store of its own, of the default bounds (and so empty). */
  public AdminService(Pools pools, Pipelines pipelines) {
    this(pools, pipelines, Sessions.create(SessionConfig.DEFAULT, System::nanoTime));
  }

  public AdminService(Pools pools, Pipelines pipelines, Sessions sessions) {
    this.pools = Objects.requireNonNull(pools);
    this.pipelines = Objects.requireNonNull(pipelines);
    this.sessions = Objects.requireNonNull(sessions);
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

  @Override
  public void listSessions(ListSessionsRequest request, StreamObserver<ListSessionsResponse> observer) {
    Calls.respondNow(observer, () -> {
      int limit = request.getLimit();
      if (limit < 0 || limit > MAX_SESSION_LIMIT) {
        throw new InvalidRequestException("limit: " + limit + " (expected: 0 to " + MAX_SESSION_LIMIT
            + "; 0 means " + DEFAULT_SESSION_LIMIT + ")");
      }
      SessionListing listing = sessions.list(limit == 0 ? DEFAULT_SESSION_LIMIT : limit);
      ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder()
          .setCount(listing.count())
          .setOldestIdleMillis(listing.oldestIdle().toMillis());
      listing.sessions().forEach(s -> b.addSessions(toInfo(s)));
      return b.build();
    });
  }

  @Override
  public void endSession(EndSessionRequest request, StreamObserver<EndSessionResponse> observer) {
    Calls.respondNow(observer, () -> {
      SessionIds.checkRequired(request.getSessionId());
      return EndSessionResponse.newBuilder().setSession(toInfo(sessions.end(request.getSessionId()))).build();
    });
  }

  @Override
  public void drainReplica(DrainReplicaRequest request, StreamObserver<DrainReplicaResponse> observer) {
    Calls.respondNow(observer, () -> {
      String id = request.getReplicaId();
      if (id.isEmpty()) {
        throw new InvalidRequestException("replica_id: \"\" (expected: a replica id as ListPools shows it, like chat-0)");
      }
      PoolSnapshot.ReplicaSnapshot replica = pools.drainReplica(id);
      PoolSnapshot pool = pools.snapshot().stream()
          .filter(p -> p.replicas().stream().anyMatch(r -> r.id().equals(id)))
          .findFirst().orElseThrow();
      return DrainReplicaResponse.newBuilder()
          .setReplica(toInfo(replica))
          .setPool(pool.name())
          .setReplaced(pool.kind() == PoolSpec.Kind.LOCAL)
          .build();
    });
  }

  private static SessionInfo toInfo(SessionSummary s) {
    return SessionInfo.newBuilder()
        .setSessionId(s.id())
        .setTurns(s.turns())
        .setKeptTurns(s.keptTurns())
        .setPreviousIntent(s.previousIntent())
        .setIdleMillis(s.idle().toMillis())
        .setAgeMillis(s.age().toMillis())
        .build();
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
      b.addReplicas(toInfo(r));
    }
    p.scaling().ifPresent(s -> b.setScaling(PoolScaling.newBuilder()
        .setMinReplicas(s.minReplicas())
        .setMaxReplicas(s.maxReplicas())
        .setLastDecision(s.lastDecision())
        .setLastReason(s.lastReason())
        .setLastDecisionUnixMs(s.lastAtMillis())));
    p.discovery().ifPresent(d -> b.setDiscovery(PoolDiscovery.newBuilder()
        .setService(d.service())
        .setResolveIntervalMs(d.resolveIntervalMillis())
        .addAllAddresses(d.addresses())
        .setLastLookup(d.lastLookup())
        .setLastError(d.lastError())
        .setLastLookupUnixMs(d.lastAtMillis())
        .setOkLookups(d.okLookups())
        .setFailedLookups(d.failedLookups())
        .setEmptyLookups(d.emptyLookups())));
    return b.build();
  }

  private static ReplicaInfo toInfo(PoolSnapshot.ReplicaSnapshot r) {
    return ReplicaInfo.newBuilder()
        .setId(r.id())
        .setPid(r.pid())
        .setEndpoint(nullToEmpty(r.endpoint()))
        .setSocket(nullToEmpty(r.socket()))
        .setDevice(nullToEmpty(r.device()))
        .setState(nullToEmpty(r.state()))
        .setInFlight(r.inFlight())
        .setRestarts(r.restarts())
        .setCpus(nullToEmpty(r.cpus()))
        .setLastError(nullToEmpty(r.lastError()))
        .setEjected(r.ejected())
        .setEjection(nullToEmpty(r.ejection()))
        .build();
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
