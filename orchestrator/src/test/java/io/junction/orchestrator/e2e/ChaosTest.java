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
import java.util.function.Predicate;
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
  private static final Duration STOP = Duration.ofSeconds(10);
  /** A call's end as the client sees it may trail its deadline by the client's own scheduling. */
  private static final Duration LATE_SLACK = Duration.ofMillis(100);
  private static final int MAX_SAMPLES_PER_CLIENT = 200_000;
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
      o.awaitPools(ChaosTest::fullStrength, Duration.ofSeconds(180));
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong ok = new AtomicLong();
      AtomicLong late = new AtomicLong();
      Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
      List<String> samples = java.util.Collections.synchronizedList(new ArrayList<>());
      long[][] latencies = new long[CLIENTS][MAX_SAMPLES_PER_CLIENT];
      int[] counts = new int[CLIENTS];
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
            long took = System.nanoTime() - start;
            if (counts[client] < MAX_SAMPLES_PER_CLIENT) {
              latencies[client][counts[client]++] = took;
            }
            if (took > DEADLINE.toNanos() + LATE_SLACK.toNanos()) {
              late.incrementAndGet();
            }
          }
        });
      }
      long begin = System.nanoTime();
      List<String> recoveries = new ArrayList<>();
      long stallNoticed = -1;
      String stallStatus = "";
      long step = RUN.toNanos() / 5;
      try {
        for (int fault = 0; fault < 4; fault++) {
          sleepUntil(begin + step * (fault + 1));
          ReplicaInfo victim = replicas(o).get(1);
          long t0 = System.nanoTime();
          String what;
          Predicate<ListPoolsResponse> recovered;
          if (fault == 2) {
            ProcessHandle p = ProcessHandle.of(victim.getPid()).orElseThrow();
            try {
              signal("STOP", p.pid());
              // The stall is noticed while the worker is stopped: it leaves routing, naming the stall.
              ListPoolsResponse stalled = o.awaitPools(r -> replicas(r).stream()
                  .anyMatch(x -> x.getId().equals(victim.getId()) && x.getState().equals("UNHEALTHY")
                      && x.getLastError().contains("stalled")), STOP.minusSeconds(2));
              stallNoticed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
              stallStatus = replicas(stalled).stream().filter(x -> x.getId().equals(victim.getId())).findFirst()
                  .orElseThrow().getLastError();
              sleepUntil(t0 + STOP.toNanos());
            } finally {
              signal("CONT", p.pid()); // never leave a process stopped, whatever happened
            }
            what = "SIGSTOP " + STOP.toSeconds() + " s";
            // Gentle health does not kill a worker stopped for 10 s: the same process comes back.
            recovered = ChaosTest::fullStrength;
          } else {
            ProcessHandle.of(victim.getPid()).orElseThrow().destroyForcibly();
            what = "SIGKILL";
            // A new process in its place, READY and routable (the dead one may look READY for a moment).
            recovered = r -> fullStrength(r) && replicas(r).stream().noneMatch(x -> x.getPid() == victim.getPid());
          }
          long faultEnd = System.nanoTime();
          // Full strength: two replicas READY and routable (not ejected).
          ListPoolsResponse after = o.awaitPools(recovered, Duration.ofSeconds(120));
          long now = System.nanoTime();
          recoveries.add(String.format(java.util.Locale.ROOT,
              "%s of %s (pid %d): full strength %d ms after the fault ended (%d ms after it began); pids now %s",
              what, victim.getId(), victim.getPid(), TimeUnit.NANOSECONDS.toMillis(now - faultEnd),
              TimeUnit.NANOSECONDS.toMillis(now - t0), replicas(after).stream().map(ReplicaInfo::getPid).toList()));
        }
        sleepUntil(begin + RUN.toNanos());
      } finally {
        running.set(false); // also when a check above failed: the clients stop before the orchestrator does
        clients.shutdown();
      }
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin);

      long failed = failures.values().stream().mapToLong(AtomicLong::get).sum();
      long total = ok.get() + failed;
      double success = 100.0 * ok.get() / Math.max(1, total);
      long[] all = java.util.stream.IntStream.range(0, CLIENTS)
          .mapToObj(c -> java.util.Arrays.copyOf(latencies[c], counts[c]))
          .flatMapToLong(java.util.Arrays::stream).sorted().toArray();
      System.out.printf(java.util.Locale.ROOT,
          "chaos: %d requests in %d s from %d clients, %d ok (%.4f%%), failed by code %s, %d ended after their"
              + " deadline (%d ms); latency p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          total, seconds, CLIENTS, ok.get(), success, new TreeMap<>(failures), late.get(), DEADLINE.toMillis(),
          percentile(all, 50), percentile(all, 99), all.length == 0 ? 0 : all[all.length - 1] / 1e6);
      recoveries.forEach(r -> System.out.println("chaos: " + r));
      System.out.println("chaos: the stopped worker left routing " + stallNoticed + " ms after SIGSTOP: "
          + stallStatus);
      samples.forEach(s -> System.out.println("chaos: failure " + s));
      assertThat(recoveries).hasSize(4);
      assertThat(success).as("share of requests that succeeded, %").isGreaterThanOrEqualTo(99.99);
      assertThat(late.get()).as("requests that ended after their deadline").isZero();
    }
  }

  /** Both replicas READY and in routing (not ejected). */
  private static boolean fullStrength(ListPoolsResponse r) {
    List<ReplicaInfo> rs = replicas(r);
    return rs.size() == 2 && rs.stream().allMatch(x -> x.getState().equals("READY") && !x.getEjected());
  }

  private static double percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
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
