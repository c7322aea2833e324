package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ReplicaInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's chaos run: one pool of two replicas serving both workloads under steady load from
 * 16 clients (Recommend and Converse mixed), while one replica is SIGKILLed three times and one
 * is SIGSTOPped for 10 s. Prints what clients saw and how long the pool took to recover.
 */
class ChaosTest {
  private static final int CLIENTS = 16;
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final Duration RUN = Duration.ofSeconds(Long.getLong("junction.chaos.seconds", 60));
  private static final List<String> TEXTS = List.of("book a table for two", "what's the weather like",
      "play some jazz", "yes, two please", "goodbye", "set an alarm for seven");

  private static String config() throws IOException {
    String demo;
    try (InputStream in = ChaosTest.class.getResourceAsStream("/io/junction/orchestrator/config/demo.yaml")) {
      demo = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int pools = demo.indexOf("\npools:");
    int pipelines = demo.indexOf("\n# The typed services");
    return "server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}\n"
        + demo.substring(0, pools).replaceAll("(?m)^#.*\\n", "")
        + "\npools:\n  - name: demo\n    kind: local\n    models: [featurizer, intent, session_intent, responder, "
        + "user_tower, retrieval, popular, ranker]\n    replicas: 2\n    health_interval_ms: 500\n"
        + demo.substring(pipelines);
  }

  @Test
  void aPoolOfTwoKeepsServingThroughKillsAndAStop() throws Exception {
    try (OrchestratorProcess o = OrchestratorProcess.start("chaos", config())) {
      o.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(180));
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong ok = new AtomicLong();
      AtomicLong late = new AtomicLong();
      Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
      List<String> samples = java.util.Collections.synchronizedList(new ArrayList<>());
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        clients.execute(() -> {
          long n = 0;
          while (running.get() && n < 2_000_000) {
            n++;
            long start = System.nanoTime();
            try {
              if ((client + n) % 2 == 0) {
                RecommendationServiceGrpc.newBlockingStub(o.channel).withDeadlineAfter(DEADLINE.toNanos(), TimeUnit.NANOSECONDS)
                    .recommend(RecommendRequest.newBuilder().setUserId((client * 131 + n) % 2000).setK(10).build());
              } else {
                ConversationServiceGrpc.newBlockingStub(o.channel).withDeadlineAfter(DEADLINE.toNanos(), TimeUnit.NANOSECONDS)
                    .converse(ConverseRequest.newBuilder().setText(TEXTS.get((int) (n % TEXTS.size()))).build());
              }
              ok.incrementAndGet();
            } catch (StatusRuntimeException e) {
              failures.computeIfAbsent(e.getStatus().getCode().name(), k -> new AtomicLong()).incrementAndGet();
              if (samples.size() < 20) {
                samples.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
              }
            }
            if (System.nanoTime() - start > DEADLINE.toNanos() + TimeUnit.MILLISECONDS.toNanos(100)) {
              late.incrementAndGet();
            }
          }
        });
      }
      long begin = System.nanoTime();
      List<String> recoveries = new ArrayList<>();
      long step = RUN.toNanos() / 5;
      for (int fault = 0; fault < 4; fault++) {
        sleepUntil(begin + step * (fault + 1));
        ReplicaInfo victim = replicas(o).get(1);
        long t0 = System.nanoTime();
        if (fault == 2) {
          ProcessHandle p = ProcessHandle.of(victim.getPid()).orElseThrow();
          signal("STOP", victim.getPid());
          Thread.sleep(10_000);
          signal("CONT", p.pid());
        } else {
          ProcessHandle.of(victim.getPid()).orElseThrow().destroyForcibly();
        }
        // Full strength: the victim replaced by a new process (a stopped one is killed and restarted
        // once its probes fail) and both replicas READY.
        o.awaitPools(r -> OrchestratorProcess.allReady(r) && replicas(r).size() == 2
            && replicas(r).stream().noneMatch(x -> x.getPid() == victim.getPid()), Duration.ofSeconds(120));
        recoveries.add((fault == 2 ? "SIGSTOP 10 s" : "SIGKILL") + " of " + victim.getId() + ": full strength after "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
      }
      sleepUntil(begin + RUN.toNanos());
      running.set(false);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

      long failed = failures.values().stream().mapToLong(AtomicLong::get).sum();
      long total = ok.get() + failed;
      double success = 100.0 * ok.get() / Math.max(1, total);
      System.out.printf("chaos: %d requests in %d s, %d ok (%.4f%%), failed by code %s, %d ended after their deadline%n",
          total, RUN.toSeconds(), ok.get(), success, new TreeMap<>(failures), late.get());
      recoveries.forEach(r -> System.out.println("chaos: " + r));
      samples.forEach(s -> System.out.println("chaos: failure " + s));
      assertThat(success).as("share of requests that succeeded, %").isGreaterThanOrEqualTo(99.99);
      assertThat(late.get()).as("requests that ended after their deadline").isZero();
    }
  }

  private static List<ReplicaInfo> replicas(OrchestratorProcess o) {
    return replicas(o.admin().listPools(ListPoolsRequest.getDefaultInstance()));
  }

  private static List<ReplicaInfo> replicas(ListPoolsResponse r) {
    return r.getPoolsList().get(0).getReplicasList();
  }

  private static void signal(String name, long pid) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }
}
