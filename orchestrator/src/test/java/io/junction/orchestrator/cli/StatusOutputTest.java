package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.ReplicaInfo;
import org.junit.jupiter.api.Test;

/** How `junction status` shows a replica ejected for failing its calls, and one on probation. */
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
}
