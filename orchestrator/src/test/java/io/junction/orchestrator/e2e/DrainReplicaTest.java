package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.proto.v1.DrainReplicaRequest;
import io.junction.proto.v1.DrainReplicaResponse;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * AdminService.DrainReplica through `junction serve` with real workers: a drained local replica
 * leaves routing while calls keep succeeding on the other, and a fresh worker takes its place;
 * unknown ids, empty ids and a drain that would leave the pool unserved are refused, and the CLI's
 * `junction drain` does the same as the RPC.
 */
class DrainReplicaTest {
  private static final String CONFIG = """
      server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
      repository: ${repository}
      pools:
        - {name: conv, kind: local, models: [featurizer, intent, responder], replicas: 2, jvm_options: [-Xmx384m]}
      pipelines:
      """ + OrchestratorProcess.CHAT_PIPELINE.formatted("", "fuse: true");

  @Test
  void aDrainedLocalReplicaLeavesRoutingWhileCallsSucceedAndIsReplacedByAFreshWorker() throws Exception {
    try (OrchestratorProcess orchestrator = OrchestratorProcess.start("drain-replica", CONFIG)) {
      ListPoolsResponse before = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
      long oldPid = replica(before, "conv-0").getPid();

      // Steady calls through the pool for the whole drain and replacement: every one must succeed.
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 100_000 && !stop.get(); i++) {
          orchestrator.runPipeline("chat", Tensor.ofStrings("text", new long[] {1}, List.of("hello there")));
          ok.incrementAndGet();
        }
      });

      DrainReplicaResponse drained = drain(orchestrator, "conv-0");
      assertThat(drained.getPool()).isEqualTo("conv");
      assertThat(drained.getReplaced()).isTrue();
      assertThat(drained.getReplica().getId()).isEqualTo("conv-0");
      assertThat(drained.getReplica().getState()).isEqualTo("DRAINING");

      // conv-1 is now the only replica able to serve: draining it too is refused, and says why
      assertStatus(() -> drain(orchestrator, "conv-1"), Status.Code.FAILED_PRECONDITION,
          "replica_id: \"conv-1\" is the last replica of pool conv able to serve");
      assertStatus(() -> drain(orchestrator, "conv-7"), Status.Code.NOT_FOUND,
          "replica_id: \"conv-7\" (expected: one of [conv-0, conv-1]");
      assertStatus(() -> drain(orchestrator, ""), Status.Code.INVALID_ARGUMENT, "replica_id: \"\" (expected:");

      ListPoolsResponse after = orchestrator.awaitPools(r -> OrchestratorProcess.allReady(r)
          && replica(r, "conv-0").getPid() != oldPid, Duration.ofSeconds(180));
      OrchestratorProcess.assertAllExit(List.of(oldPid), Duration.ofSeconds(30));
      assertThat(replica(after, "conv-0").getPid()).isPositive();

      // the CLI drains the other one the same way; the pool is whole again afterwards
      long otherPid = replica(after, "conv-1").getPid();
      Cli.Result cli = Cli.run("drain", "conv-1", "--target", "127.0.0.1:" + orchestrator.port);
      assertThat(cli.exitCode()).as(cli.stderr()).isZero();
      assertThat(cli.stdout()).contains("replica conv-1 of pool conv: DRAINING").contains("a fresh worker replaces it");
      orchestrator.awaitPools(r -> OrchestratorProcess.allReady(r) && replica(r, "conv-1").getPid() != otherPid,
          Duration.ofSeconds(180));

      stop.set(true);
      load.get(60, TimeUnit.SECONDS); // a failed call fails the load, and this get
      assertThat(ok.get()).isPositive();
      System.out.println(ok.get() + " pipeline runs succeeded across two drains and replacements");
    }
  }

  private static DrainReplicaResponse drain(OrchestratorProcess orchestrator, String id) {
    return orchestrator.admin().drainReplica(DrainReplicaRequest.newBuilder().setReplicaId(id).build());
  }

  private static ReplicaInfo replica(ListPoolsResponse pools, String id) {
    return pools.getPoolsList().stream().flatMap(p -> p.getReplicasList().stream())
        .filter(r -> r.getId().equals(id)).findFirst().orElseThrow();
  }

  private static void assertStatus(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Status.Code code,
      String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(message);
    });
  }
}
