package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PoolInfo;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An autoscaled local pool with real workers: min_replicas 1, max_replicas 3, one call per replica
 * at a time, and more clients than that, so calls queue. The pool grows to 3 while the load lasts,
 * never past it, and shrinks back to 1 after the cool-down once the load stops; every request of
 * the load succeeds, through the starts and the drains, and the replicas it adds have the pool's
 * fused segment plan before they take a call.
 */
class AutoscalingEndToEndTest {
  private static final int CLIENTS = 6;
  /** Of which run the fused pipeline: their calls reach the replicas the pool adds. */
  private static final int FUSED_CLIENTS = 2;
  private static final String CONFIG = """
      server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
      repository: ${repository}
      pools:
        - name: conv
          kind: local
          models: [featurizer, intent]
          min_replicas: 1
          max_replicas: 3
          max_in_flight: 1
          jvm_options: [-Xmx384m]
          autoscaling: {upscale_after_ms: 1000, downscale_after_ms: 3000, check_interval_ms: 200}
      pipelines:
        # One call per step (no fused segment), each with time to wait its turn in the pool's queue:
        # the load must make the pool queue, not make its requests time out.
        - name: intent
          fuse: false
          inputs: [{name: text, datatype: BYTES, shape: [1]}]
          outputs: [{name: intent, from: classify.intent}]
          steps:
            - {name: featurize, model: featurizer, inputs: {text: input.text}, timeout_ms: 60000}
            - {name: classify, model: intent, inputs: {features: featurize.features}, timeout_ms: 60000}
        # The same steps as one fused segment: a replica the pool adds must have its plan first.
        - name: intent_fused
          fuse: true
          inputs: [{name: text, datatype: BYTES, shape: [1]}]
          outputs: [{name: intent, from: classify.intent}]
          steps:
            - {name: featurize, model: featurizer, inputs: {text: input.text}, timeout_ms: 60000}
            - {name: classify, model: intent, inputs: {features: featurize.features}, timeout_ms: 60000}
      """;

  @Test
  void aQueuedPoolGrowsToMaxReplicasAndShrinksBackToMinAfterTheCoolDownWithoutFailingARequest() throws Exception {
    try (OrchestratorProcess orchestrator = OrchestratorProcess.start("autoscaling", CONFIG)) {
      ListPoolsResponse start = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
      assertThat(conv(start).getReplicasCount()).as("starts with min_replicas").isEqualTo(1);
      assertThat(conv(start).getScaling().getMinReplicas()).isEqualTo(1);
      assertThat(conv(start).getScaling().getMaxReplicas()).isEqualTo(3);

      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      List<CompletableFuture<Void>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        String pipeline = c < FUSED_CLIENTS ? "intent_fused" : "intent";
        clients.add(CompletableFuture.runAsync(() -> {
          for (int i = 0; i < 100_000 && !stop.get(); i++) {
            try {
              orchestrator.runPipeline(pipeline, Tensor.ofStrings("text", new long[] {1}, List.of("hello there")));
              ok.incrementAndGet();
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        }));
      }

      AtomicInteger most = new AtomicInteger();
      ListPoolsResponse grown;
      try {
        grown = orchestrator.awaitPools(r -> {
          most.accumulateAndGet(conv(r).getReplicasCount(), Math::max);
          return conv(r).getReplicasCount() == 3 && OrchestratorProcess.allReady(r);
        }, Duration.ofSeconds(300));
        // Still queued at 3: the pool stays there.
        orchestrator.awaitPools(r -> {
          most.accumulateAndGet(conv(r).getReplicasCount(), Math::max);
          return conv(r).getScaling().getLastDecision().equals("at_limit");
        }, Duration.ofSeconds(60));
      } finally {
        stop.set(true);
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      }
      assertThat(failures).as("requests failed under load while the pool grew").isEmpty();
      assertThat(conv(grown).getScaling().getLastDecision()).isIn("up", "at_limit");
      assertThat(conv(grown).getReplicasList()).extracting(x -> x.getId())
          .containsExactlyInAnyOrder("conv-0", "conv-1", "conv-2");
      List<Long> grownPids = conv(grown).getReplicasList().stream().map(x -> x.getPid()).toList();

      ListPoolsResponse shrunk = orchestrator.awaitPools(r -> {
        most.accumulateAndGet(conv(r).getReplicasCount(), Math::max);
        return conv(r).getReplicasCount() == 1 && OrchestratorProcess.allReady(r);
      }, Duration.ofSeconds(180));
      assertThat(most.get()).as("never above max_replicas").isEqualTo(3);
      assertThat(conv(shrunk).getScaling().getLastDecision()).isEqualTo("down");
      assertThat(conv(shrunk).getScaling().getLastReason()).startsWith("room to spare at every check for ")
          .endsWith("2 -> 1 replicas");
      assertThat(conv(shrunk).getScaling().getLastDecisionUnixMs()).isPositive();
      // The workers of the replicas that left were stopped, not left running.
      long kept = conv(shrunk).getReplicas(0).getPid();
      List<Long> left = grownPids.stream().filter(pid -> pid != kept).toList();
      assertThat(left).hasSize(2);
      OrchestratorProcess.assertAllExit(left, Duration.ofSeconds(60));

      // Each added replica had the pool's segment plan before it took a call: no fused run found it missing.
      List<String> log = java.nio.file.Files.readAllLines(orchestrator.log);
      for (String id : List.of("conv-1", "conv-2")) {
        int loaded = indexOf(log, "replica " + id + " loaded segment plans");
        int routed = indexOf(log, "replica " + id + " takes calls");
        assertThat(loaded).as(id + " loaded its plans").isNotNegative();
        assertThat(routed).as(id + " took calls after its plans were loaded").isGreaterThan(loaded);
      }
      assertThat(log).noneMatch(line -> line.contains("lacks segment plan"));

      // The pool serves at min_replicas, and status says what the autoscaler did last.
      orchestrator.runPipeline("intent", Tensor.ofStrings("text", new long[] {1}, List.of("hello there")));
      Cli.Result status = Cli.run("status", "--target", "127.0.0.1:" + orchestrator.port);
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      assertThat(status.stdout()).contains("autoscaling: 1 replica(s), min 1, max 3; last decision down at ");
      System.out.println(ok.get() + " pipeline runs succeeded while the pool went from 1 to 3 replicas"
          + " and back to 1");
      assertThat(ok.get()).isPositive();
    }
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    return -1;
  }

  private static PoolInfo conv(ListPoolsResponse r) {
    return r.getPoolsList().stream().filter(p -> p.getName().equals("conv")).findFirst().orElseThrow();
  }
}
