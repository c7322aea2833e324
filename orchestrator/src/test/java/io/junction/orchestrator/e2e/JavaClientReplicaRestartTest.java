package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.orchestrator.server.MetricNames;
import io.junction.proto.v1.ListPoolsRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * The Java client helper (io.junction.client) rides through a rolling restart: two real
 * orchestrators, each with its own worker, listen on one port of two loopback addresses behind
 * one name; a client process calls Recommend through the name without pause while the test
 * stops one orchestrator (SIGTERM: a rolling restart, it drains), starts it again, then kills
 * the other (SIGKILL: a crash, whose calls in flight fail with UNAVAILABLE and are retried on
 * the survivor); no call fails.
 *
 * <p>The name: this machine's resolver knows no name with several addresses ({@code localhost}
 * is 127.0.0.1 only) and the test may not edit /etc/hosts or run a DNS server the system would
 * ask. So the client JVM resolves through the JDK's own hosts-file resolver
 * ({@code -Djdk.net.hosts.file}, a file the test writes): the channel's target is a real
 * {@code dns:///} target handled by grpc-java's DNS name resolver over
 * {@code InetAddress.getAllByName}, exactly as in production; only where the JDK reads the
 * records from differs.
 */
class JavaClientReplicaRestartTest {
  private static final String NAME = "junction-replicas.test";
  private static final String FIRST = "127.0.0.1";
  private static final String SECOND = "127.0.0.2";

  private static final String CONFIG = """
      server: {host: ${host}, port: ${port}, http_port: ${http_port}}
      repository: ${repository}
      pools:
        - {name: recommendation, kind: local, models: [user_tower, retrieval, popular, ranker], replicas: 1, jvm_options: [-Xmx384m]}
      pipelines:
      """ + OrchestratorProcess.RECOMMEND_PIPELINE.formatted("", "");

  private static final Duration START = Duration.ofSeconds(240);
  private static final Duration PROGRESS = Duration.ofSeconds(120);

  @Test
  void theJavaClientHelperRidesThroughAReplicaRestartBehindADnsNameWithSeveralAddressesWithoutAFailedCall()
      throws Exception {
    // bound on the wildcard address, so free on both loopback addresses
    int port = OrchestratorProcess.freePort();
    int httpPort = OrchestratorProcess.freePort();
    List<OrchestratorProcess> started = new ArrayList<>();
    Client client = null;
    try {
      OrchestratorProcess first = OrchestratorProcess.start("java-client-first", FIRST, port, httpPort, CONFIG);
      started.add(first);
      OrchestratorProcess second = OrchestratorProcess.start("java-client-second", SECOND, port, httpPort, CONFIG);
      started.add(second);
      first.awaitPools(OrchestratorProcess::allReady, START);
      second.awaitPools(OrchestratorProcess::allReady, START);

      client = Client.start("dns:///" + NAME + ":" + port);
      assertThat(client.addresses()).isEqualTo(FIRST + "," + SECOND);
      // round_robin over both addresses: each orchestrator answers some of the calls
      await("both orchestrators answer", () -> Math.min(recommendsServed(first), recommendsServed(second)), 1);

      stop(first);
      client.awaitMoreAnswers(50);

      OrchestratorProcess restarted = OrchestratorProcess.start("java-client-first-restarted", FIRST, port, httpPort, CONFIG);
      started.add(restarted);
      restarted.awaitPools(OrchestratorProcess::allReady, START);
      // the client reconnects to the restarted orchestrator before the other one goes
      await("the restarted orchestrator answers", () -> recommendsServed(restarted), 1);

      // answered, so the client has calls in flight on both when one crashes
      client.awaitMoreAnswers(100);
      crash(second);
      client.awaitMoreAnswers(100);

      String done = client.stop();
      System.out.println("client: " + done + "; answered by the restarted orchestrator: " + recommendsServed(restarted));
      assertThat(client.failures).as("failed calls").isEmpty();
      assertThat(done).matches("done ok=[0-9]+ failed=0");
    } finally {
      if (client != null) {
        client.close();
      }
      for (OrchestratorProcess o : started) {
        o.close();
      }
    }
  }

  /** SIGTERM to the orchestrator the test started (its pid), and its exit within a minute. */
  private static void stop(OrchestratorProcess orchestrator) throws InterruptedException {
    ProcessHandle.of(orchestrator.process.pid()).orElseThrow().destroy();
    assertThat(orchestrator.process.waitFor(60, TimeUnit.SECONDS)).as("orchestrator exited after SIGTERM").isTrue();
  }

  /** SIGKILL to the orchestrator the test started; its workers go with it (as they must when it dies). */
  private static void crash(OrchestratorProcess orchestrator) throws InterruptedException {
    List<Long> workers = OrchestratorProcess.workerPids(orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()));
    ProcessHandle.of(orchestrator.process.pid()).orElseThrow().destroyForcibly();
    assertThat(orchestrator.process.waitFor(60, TimeUnit.SECONDS)).as("orchestrator exited after SIGKILL").isTrue();
    OrchestratorProcess.assertAllExit(workers, Duration.ofSeconds(60));
  }

  /** Recommend calls the orchestrator answered OK, from its /metrics. */
  private static long recommendsServed(OrchestratorProcess orchestrator) {
    try {
      String metrics = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://" + orchestrator.host + ":" + orchestrator.httpPort + "/metrics"))
              .timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      return metrics.lines()
          .filter(l -> l.startsWith(MetricNames.REQUESTS_TOTAL + "{") && l.contains("RecommendationService")
              && l.contains(MetricNames.OUTCOME + "=\"OK\""))
          .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void await(String what, LongSupplier value, long atLeast) throws InterruptedException {
    long end = System.nanoTime() + PROGRESS.toNanos();
    while (value.getAsLong() < atLeast) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + PROGRESS + " waiting until " + what);
      }
      Thread.sleep(200);
    }
  }

  /** The {@link SteadyCalls} process and what it has printed. */
  private static final class Client {
    private static final Path LOGS = Path.of("target", "e2e-logs");

    final Process process;
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<String> lines = new CopyOnWriteArrayList<>();
    final AtomicLong answers = new AtomicLong();
    final AtomicReference<String> addresses = new AtomicReference<>();
    final AtomicReference<String> done = new AtomicReference<>();

    private Client(Process process) {
      this.process = process;
      Thread reader = new Thread(this::read, "steady-calls-output");
      reader.setDaemon(true);
      reader.start();
    }

    static Client start(String target) throws IOException {
      Files.createDirectories(LOGS);
      Path hosts = LOGS.resolve("java-client.hosts").toAbsolutePath();
      Files.writeString(hosts, "127.0.0.1 localhost\n" + FIRST + " " + NAME + "\n" + SECOND + " " + NAME + "\n");
      ProcessBuilder pb = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Djdk.net.hosts.file=" + hosts,
          "-cp", System.getProperty("java.class.path"),
          SteadyCalls.class.getName(), target, "4", "600")
          .redirectError(LOGS.resolve("java-client.err").toFile());
      return new Client(pb.start());
    }

    private void read() {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          lines.add(line);
          if (line.startsWith("addresses ")) {
            addresses.set(line.substring("addresses ".length()));
          } else if (line.startsWith("ok ")) {
            answers.set(Long.parseLong(line.substring(3)));
          } else if (line.startsWith("FAIL")) {
            failures.add(line);
          } else if (line.startsWith("done ")) {
            done.set(line);
          }
        }
      } catch (IOException e) {
        // the process ended: alive() says so
      }
    }

    String addresses() throws InterruptedException {
      awaitLine(addresses, "its resolved addresses");
      return addresses.get();
    }

    void awaitMoreAnswers(long more) throws InterruptedException {
      long target = answers.get() + more;
      long end = System.nanoTime() + PROGRESS.toNanos();
      while (answers.get() < target) {
        if (!process.isAlive() || System.nanoTime() > end) {
          throw new AssertionError("the client answered " + answers.get() + " calls (expected: " + target
              + " within " + PROGRESS + "); failures: " + failures + "; alive: " + process.isAlive());
        }
        Thread.sleep(100);
      }
    }

    String stop() throws IOException, InterruptedException {
      try (OutputStream in = process.getOutputStream()) {
        in.write("stop\n".getBytes(StandardCharsets.UTF_8));
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("client exited after stop").isTrue();
      awaitLine(done, "its summary");
      return done.get();
    }

    private void awaitLine(AtomicReference<String> line, String what) throws InterruptedException {
      long end = System.nanoTime() + PROGRESS.toNanos();
      while (line.get() == null) {
        if (System.nanoTime() > end) {
          throw new AssertionError("the client printed no " + what + " within " + PROGRESS + "; alive: "
              + process.isAlive() + "; output: " + lines);
        }
        Thread.sleep(100);
      }
    }

    void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }
}
