package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PoolDiscovery;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.PoolScaling;
import io.junction.proto.v1.ReplicaInfo;
import org.junit.jupiter.api.Test;

/**
 * How `junction status` shows a replica ejected for failing its calls, one on probation, an
 * autoscaled pool and a dns pool.
 */
class StatusOutputTest {
  @Test
  void anEjectedReplicaIsNotCountedReadyAndSaysWhyAndUntilWhen() {
    ListPoolsResponse r = ListPoolsResponse.newBuilder().addPools(PoolInfo.newBuilder()
        .setName("conversation").setKind("local").setDevice("cpu").addModels("intent")
        .addReplicas(ReplicaInfo.newBuilder().setId("conversation-0").setState("READY").setPid(10)
            .setEjection("on probation after: 3 failures in a row, last: UNAVAILABLE: fault injected"))
        .addReplicas(ReplicaInfo.newBuilder().setId("conversation-1").setState("READY").setPid(11).setEjected(true)
            .setEjection("3 failures in a row, last: UNAVAILABLE: fault injected (back on probation in 7.5 s)")))
        .build();

    String out = Output.status(r);

    assertThat(out).contains("pool conversation (local, cpu): 1/2 ready; models: intent\n")
        .containsPattern("\n  conversation-1 +READY \\(ejected\\) +11 ")
        .contains("\n  conversation-1 ejected: 3 failures in a row, last: UNAVAILABLE: fault injected"
            + " (back on probation in 7.5 s)\n")
        .contains("\n  conversation-0: on probation after: 3 failures in a row");
  }

  @Test
  void anAutoscaledPoolShowsItsBoundsAndItsLastDecisionWithTimeAndReason() {
    PoolInfo.Builder pool = PoolInfo.newBuilder().setName("conversation").setKind("local").setDevice("cpu")
        .addModels("intent")
        .addReplicas(ReplicaInfo.newBuilder().setId("conversation-0").setState("READY").setPid(10))
        .addReplicas(ReplicaInfo.newBuilder().setId("conversation-1").setState("STARTING").setPid(11));
    PoolScaling.Builder scaling = PoolScaling.newBuilder().setMinReplicas(1).setMaxReplicas(3);

    String before = Output.status(ListPoolsResponse.newBuilder().addPools(pool.clone().setScaling(scaling)).build());
    String after = Output.status(ListPoolsResponse.newBuilder().addPools(pool.setScaling(scaling
        .setLastDecision("up").setLastReason("queue above 0 at every check for 3.0 s (4 calls waiting): 1 -> 2 replicas")
        .setLastDecisionUnixMs(1_700_000_000_123L))).build());
    String fixed = Output.status(ListPoolsResponse.newBuilder().addPools(pool.clearScaling()).build());

    assertThat(before).contains("\n  autoscaling: 2 replica(s), min 1, max 3; no change decided yet\n");
    assertThat(after).contains("pool conversation (local, cpu): 1/2 ready; models: intent\n"
        + "  autoscaling: 2 replica(s), min 1, max 3; last decision up at 2023-11-14T22:13:20Z: queue above 0 at"
        + " every check for 3.0 s (4 calls waiting): 1 -> 2 replicas\n");
    assertThat(fixed).doesNotContain("autoscaling");
  }

  @Test
  void aDnsPoolShowsItsServiceTheAddressesItResolvedToAndLookupsThatFoundNone() {
    PoolInfo.Builder pool = PoolInfo.newBuilder().setName("workers").setKind("dns").setDevice("cpu")
        .addModels("intent")
        .addReplicas(ReplicaInfo.newBuilder().setId("workers-0").setState("READY").setEndpoint("10.0.0.1:50051"))
        .addReplicas(ReplicaInfo.newBuilder().setId("workers-1").setState("READY").setEndpoint("10.0.0.2:50051"));
    PoolDiscovery.Builder d = PoolDiscovery.newBuilder().setService("workers.junction.svc.cluster.local:50051")
        .setResolveIntervalMs(5000).addAddresses("10.0.0.1").addAddresses("10.0.0.2").setLastLookup("ok")
        .setOkLookups(12);

    String ok = Output.status(ListPoolsResponse.newBuilder().addPools(pool.clone().setDiscovery(d)).build());
    String failed = Output.status(ListPoolsResponse.newBuilder().addPools(pool.setDiscovery(d.setLastLookup("failed")
        .setLastError("java.net.UnknownHostException: workers.junction.svc.cluster.local").setFailedLookups(2)
        .setLastLookupUnixMs(1_700_000_000_123L))).build());

    assertThat(ok).contains("pool workers (dns, cpu): 2/2 ready; models: intent\n"
        + "  service: workers.junction.svc.cluster.local:50051 -> 10.0.0.1, 10.0.0.2 (looked up every 5000 ms)\n")
        .containsPattern("\n  workers-1 +READY +- +10.0.0.2:50051 ");
    assertThat(failed).contains("  service: workers.junction.svc.cluster.local:50051 -> 10.0.0.1, 10.0.0.2 (looked up"
        + " every 5000 ms; last lookup failed at 2023-11-14T22:13:20Z: java.net.UnknownHostException:"
        + " workers.junction.svc.cluster.local; members kept; 2 failed and 0 empty lookup(s) so far)\n");
  }
}
