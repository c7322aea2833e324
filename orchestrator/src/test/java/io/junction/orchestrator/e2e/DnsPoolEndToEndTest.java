package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.WorkerControlGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A dns pool with a real resolver and real workers: two Junction workers listen on one port of
 * 127.0.0.1 and 127.0.0.2, and the orchestrator's pool names them by a name its JVM resolves
 * through the JDK's hosts-file resolver ({@code -Djdk.net.hosts.file}, a file the test writes and
 * rewrites: the JDK reads it again at each lookup, and the pool's resolver turns the JVM's
 * positive cache off). The name resolves to the first worker, then to both (the second joins:
 * READY in status, and it serves calls), then to the first again (the second is drained and
 * dropped, and its worker, which the orchestrator does not own, keeps running undrained), while
 * Recommend calls go on without pause and none fails.
 */
class DnsPoolEndToEndTest {
  private static final String NAME = "recommend-workers.test";
  private static final String FIRST = "127.0.0.1";
  private static final String SECOND = "127.0.0.2";
  private static final Duration START = Duration.ofSeconds(240);
  private static final Duration CHANGE = Duration.ofSeconds(60);
  /**
   * How long the pool may take to follow a change of the file: under the JVM's default positive
   * cache of 30 s, so that a cache left on would fail the test rather than slow it.
   */
  private static final Duration FOLLOW = Duration.ofSeconds(20);

  private static final String CONFIG = """
      server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
      pools:
        - name: recommendation
          kind: dns
          models: [user_tower, retrieval, popular, ranker]
          service: "%s:%d"
          resolve_interval_ms: 200
          health_interval_ms: 200
      pipelines:
      """ + OrchestratorProcess.RECOMMEND_PIPELINE.formatted("", "");

  @Test
  void theDnsPoolFollowsItsNameUpAndDownWithoutAFailedCall() throws Exception {
    // bound on the wildcard address, so free on both loopback addresses
    int workerPort = OrchestratorProcess.freePort();
    Path hosts = Path.of("target", "e2e-logs", "dns-pool.hosts").toAbsolutePath();
    Files.createDirectories(hosts.getParent());
    resolve(hosts, FIRST);
    List<Process> workers = new ArrayList<>();
    Calls calls = null;
    try {
      workers.add(startWorker(FIRST, workerPort));
      Process second = startWorker(SECOND, workerPort);
      workers.add(second);
      for (Process w : workers) {
        assertThat(StaticPoolTest.readyPort(w)).isEqualTo(workerPort);
      }
      try (OrchestratorProcess orchestrator = OrchestratorProcess.start("dns-pool", "127.0.0.1",
          OrchestratorProcess.freePort(), OrchestratorProcess.freePort(), CONFIG.formatted(NAME, workerPort),
          List.of("-Djdk.net.hosts.file=" + hosts))) {
        ListPoolsResponse one = orchestrator.awaitPools(r -> endpoints(r).equals(List.of(FIRST + ":" + workerPort)),
            START);
        PoolInfo pool = one.getPools(0);
        assertThat(pool.getKind()).isEqualTo("dns");
        assertThat(pool.getDiscovery().getService()).isEqualTo(NAME + ":" + workerPort);
        assertThat(pool.getDiscovery().getAddressesList()).containsExactly(FIRST);

        calls = new Calls(orchestrator.channel);
        calls.awaitMore(20);

        // Up: the second address joins, READY, and takes a share of the calls.
        resolve(hosts, FIRST, SECOND);
        ListPoolsResponse two = orchestrator.awaitPools(r -> readyEndpoints(r).equals(
            List.of(FIRST + ":" + workerPort, SECOND + ":" + workerPort)), FOLLOW);
        assertThat(two.getPools(0).getDiscovery().getAddressesList()).containsExactly(FIRST, SECOND);
        awaitModelCalls(SECOND, workerPort);
        calls.awaitMore(20);

        // Down: it leaves the answer, is drained and dropped; the first serves on.
        resolve(hosts, FIRST);
        orchestrator.awaitPools(r -> endpoints(r).equals(List.of(FIRST + ":" + workerPort))
            && readyEndpoints(r).equals(endpoints(r)), FOLLOW);
        calls.awaitMore(20);

        String done = calls.stop();
        System.out.println("dns pool calls: " + done);
        assertThat(calls.failures).as("failed calls").isEmpty();

        // Not told to drain: the worker is its owner's (Kubernetes'), and may serve other orchestrators.
        ManagedChannel direct = NettyChannelBuilder.forAddress(SECOND, workerPort).usePlaintext().build();
        try {
          assertThat(WorkerControlGrpc.newBlockingStub(direct).withDeadlineAfter(10, TimeUnit.SECONDS)
              .stats(StatsRequest.getDefaultInstance()).getDraining()).isFalse();
          assertThat(GRPCInferenceServiceGrpc.newBlockingStub(direct).withDeadlineAfter(10, TimeUnit.SECONDS)
              .serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        } finally {
          direct.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      if (calls != null) {
        calls.stop();
      }
      for (Process w : workers) {
        w.getOutputStream().close(); // --exit-with-stdin: the worker goes when its stdin closes
        if (!w.waitFor(20, TimeUnit.SECONDS)) {
          w.destroyForcibly();
        }
      }
    }
  }

  /** Makes the name resolve to {@code addresses}, as the JDK's hosts-file resolver reads the file. */
  private static void resolve(Path hosts, String... addresses) throws Exception {
    StringBuilder text = new StringBuilder("127.0.0.1 localhost\n");
    for (String a : addresses) {
      text.append(a).append(' ').append(NAME).append('\n');
    }
    Path next = hosts.resolveSibling(hosts.getFileName() + ".next");
    Files.writeString(next, text);
    // Renamed into place, so that a lookup never reads a file half written.
    Files.move(next, hosts, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static Process startWorker(String host, int port) throws Exception {
    return new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
        "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"),
        "io.junction.workers.cli.WorkerMain",
        "--repository", OrchestratorProcess.repository().toString(),
        "--models", "user_tower,retrieval,popular,ranker", "--host", host, "--port", Integer.toString(port),
        "--exit-with-stdin")
        .redirectError(Path.of("target", "e2e-logs", "dns-pool-worker-" + host + ".err").toFile())
        .start();
  }

  /** The pool's members' endpoints, whatever their state. */
  private static List<String> endpoints(ListPoolsResponse r) {
    return r.getPools(0).getReplicasList().stream().map(ReplicaInfo::getEndpoint).sorted().toList();
  }

  private static List<String> readyEndpoints(ListPoolsResponse r) {
    return r.getPools(0).getReplicasList().stream().filter(x -> x.getState().equals("READY"))
        .map(ReplicaInfo::getEndpoint).sorted().toList();
  }

  /** Waits until the worker at host:port has run model calls: the pool routes to it. */
  private static void awaitModelCalls(String host, int port) throws Exception {
    ManagedChannel direct = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
    try {
      long end = System.nanoTime() + CHANGE.toNanos();
      long served = 0;
      while (served == 0 && System.nanoTime() < end) {
        served = WorkerControlGrpc.newBlockingStub(direct).withDeadlineAfter(10, TimeUnit.SECONDS)
            .stats(StatsRequest.getDefaultInstance()).getModelsList().stream().mapToLong(m -> m.getCalls()).sum();
        Thread.sleep(100);
      }
      assertThat(served).as("model calls the joined member ran").isPositive();
    } finally {
      direct.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Recommend calls back to back from two threads until stopped (at most ten minutes), failures kept. */
  private static final class Calls {
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtomicLong ok = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    Calls(ManagedChannel channel) {
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      for (int t = 0; t < 2; t++) {
        int first = t;
        Thread caller = new Thread(() -> {
          for (long i = first; !stop.get() && System.nanoTime() < end; i += 2) {
            try {
              RecommendResponse r = RecommendationServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(20, TimeUnit.SECONDS)
                  .recommend(RecommendRequest.newBuilder().setUserId(i % 200).setK(10).build());
              if (r.getItemsCount() == 10) {
                ok.incrementAndGet();
              } else {
                failures.add("user " + (i % 200) + ": " + r.getItemsCount() + " items (expected: 10)");
              }
            } catch (StatusRuntimeException e) {
              failures.add("user " + (i % 200) + ": " + e.getStatus());
            }
          }
        }, "dns-pool-calls-" + t);
        caller.setDaemon(true);
        caller.start();
        threads.add(caller);
      }
    }

    void awaitMore(long more) throws InterruptedException {
      long target = ok.get() + more;
      long end = System.nanoTime() + CHANGE.toNanos();
      while (ok.get() < target && System.nanoTime() < end && failures.isEmpty()) {
        Thread.sleep(50);
      }
      assertThat(failures).as("failed calls").isEmpty();
      assertThat(ok.get()).as("calls answered").isGreaterThanOrEqualTo(target);
    }

    String stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
      return "ok=" + ok.get() + " failed=" + failures.size();
    }
  }
}
