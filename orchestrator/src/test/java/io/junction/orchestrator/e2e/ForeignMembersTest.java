package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.orchestrator.server.MetricNames;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Servers we did not write as static pool members, in one pipeline with a Junction worker:
 * Triton 2.51 (python backend), MLServer 1.7.1 (custom runtime) and KServe 0.21 (ModelServer),
 * each a real process with a numpy model of {@code src/test/foreign/}. The pipeline:
 *
 * <pre>
 *   e     = user_tower(user_id)            Junction worker, FP32 [n, 32]
 *   a     = affine(e)     = 2 e + 1        Triton
 *   s     = square_sum(a) = sum_j a[., j]^2 MLServer
 *   score = halve(s)      = 0.5 s - 3      KServe, two members
 * </pre>
 *
 * Then one KServe member is killed (its step fails over to the other) and the only Triton
 * member is stopped (UNAVAILABLE naming it, within the call's deadline).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForeignMembersTest {
  private static final String POOLS = """
      pools:
        - {name: triton, kind: static, models: [affine], endpoints: ["%s"]}
        - {name: mlserver, kind: static, models: [square_sum], endpoints: ["%s"]}
        - {name: kserve, kind: static, models: [halve], endpoints: ["%s", "%s"], health_interval_ms: 5000}
      """;
  private static final String PIPELINE = """
      pipelines:
        - name: foreign
          inputs:
            - {name: user_id, datatype: INT64, shape: [-1]}
          outputs:
            - {name: embedding, from: user.embedding}
            - {name: score, from: halve.y}
          steps:
            - {name: user, model: user_tower, inputs: {user_id: input.user_id}}
            - {name: affine, model: affine, inputs: {INPUT0: user.embedding}}
            - {name: square, model: square_sum, inputs: {x: affine.OUTPUT0}}
            - {name: halve, model: halve, inputs: {x: square.y}}
      """;
  private static final long[] USERS = {0, 7, 42};

  private static ForeignServer triton;
  private static ForeignServer mlserver;
  private static ForeignServer kserveA;
  private static ForeignServer kserveB;
  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    triton = ForeignServer.triton("foreign-triton");
    mlserver = ForeignServer.mlserver("foreign-mlserver");
    kserveA = ForeignServer.kserve("foreign-kserve-a");
    kserveB = ForeignServer.kserve("foreign-kserve-b");
    orchestrator = OrchestratorProcess.start("foreign", """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        """ + POOLS.formatted(triton.endpoint, mlserver.endpoint, kserveA.endpoint, kserveB.endpoint)
        + "  - {name: towers, models: [user_tower], replicas: 1}\n" + PIPELINE);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(180));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
    for (ForeignServer s : new ForeignServer[] {triton, mlserver, kserveA, kserveB}) {
      if (s != null) {
        s.close();
      }
    }
  }

  @Test
  @Order(1)
  void foreignServersListenOnLoopbackOnly() throws Exception {
    for (ForeignServer s : List.of(triton, mlserver, kserveA)) {
      List<String> listening = s.listeningAddresses();
      assertThat(listening).as("%s's listening sockets (/proc/net/tcp addresses)", s.name).isNotEmpty()
          .allSatisfy(a -> assertThat(ForeignServer.loopback(a)).as("%s listens on %s", s.name, a).isTrue());
    }
  }

  @Test
  @Order(2)
  void pipelineAcrossJunctionTritonMlserverAndKserveGivesTheReferenceAnswer() {
    assertReferenceAnswer();
  }

  @Test
  @Order(3)
  void pipelineWiredAgainstAForeignModelItDoesNotFitFailsAtStart() throws Exception {
    String pools = POOLS.formatted(triton.endpoint, mlserver.endpoint, kserveA.endpoint, kserveB.endpoint);
    String wrongType = """
        pipelines:
          - name: wrong
            inputs: [{name: x, datatype: FP64, shape: [-1, -1]}]
            outputs: [{name: y, from: affine.OUTPUT0}]
            steps: [{name: affine, model: affine, inputs: {INPUT0: input.x}}]
        """;
    assertThat(failedStart("foreign-wrong-type", pools + wrongType))
        .contains("affine", "INPUT0", "FP64", "FP32", "pool triton", "triton-0", triton.endpoint);
    String wrongName = """
        pipelines:
          - name: wrong
            inputs: [{name: x, datatype: FP32, shape: [-1]}]
            outputs: [{name: y, from: halve.y}]
            steps: [{name: halve, model: halve, inputs: {input: input.x}}]
        """;
    assertThat(failedStart("foreign-wrong-name", pools + wrongName))
        .contains("halve", "input", "pool kserve", "kserve-0", kserveA.endpoint);
  }

  @Test
  @Order(4)
  void aMemberReadyOnlyLaterWhoseMetadataDiffersIsNotRoutedTo() throws Exception {
    int latePort = OrchestratorProcess.freePort();
    ForeignServer good = ForeignServer.kserve("foreign-kserve-late-good"); // stopped halfway: closed below
    try (OrchestratorProcess late = OrchestratorProcess.start("foreign-late", """
            server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
            pools:
              - {name: late, kind: static, models: [halve], endpoints: ["%s", "127.0.0.1:%d"]}
            pipelines:
              - name: halve
                inputs: [{name: x, datatype: FP32, shape: [-1]}]
                outputs: [{name: y, from: halve.y}]
                steps: [{name: halve, model: halve, inputs: {x: input.x}}]
            """.formatted(good.endpoint, latePort))) {
      late.awaitPools(r -> state(r, "late", 0).equals("READY"), Duration.ofSeconds(120));
      // The second member comes up now, serving another version of the model (FP64).
      try (ForeignServer other = ForeignServer.kserve("foreign-kserve-late-fp64", latePort, "FP64")) {
        // Until the member answers, last_error holds the health checks' UNAVAILABLE; wait for the
        // metadata check's own error, which replaces it once the member is READY.
        ListPoolsResponse pools = late.awaitPools(r -> state(r, "late", 1).equals("READY")
            && member(r, "late", 1).getLastError().contains("metadata"), Duration.ofSeconds(60));
        assertThat(member(pools, "late", 1).getLastError()).contains("metadata", "model halve", "x", "FP64", "FP32");
        assertThat(other.alive()).isTrue();
        good.close();
        late.awaitPools(r -> !state(r, "late", 0).equals("READY"), Duration.ofSeconds(60));
        // Its only READY member is held out: the step has none to go to, and says why.
        Tensor x = Tensor.ofFloats("x", new long[] {2}, 1f, 2f);
        assertThatThrownBy(() -> late.runPipeline("halve", Duration.ofSeconds(30), x))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("late-1", "not routed to", "FP64");
            });
      }
    } finally {
      good.close();
    }
  }

  @Test
  @Order(5)
  void killingOneOfTwoMembersFailsItsStepOverToTheOther() throws Exception {
    long retriedBefore = kserveRetries();
    kserveA.kill();
    // Routing picks either member (the power of two choices between idle ones), and the pool's health
    // checks (every 5 s here) take 15 s to take the dead one out: calls until one has gone to it and
    // failed over, each with the right answer.
    for (int i = 0; i < 20 && kserveRetries() == retriedBefore; i++) {
      assertReferenceAnswer();
    }
    assertThat(kserveRetries()).as("calls of pool kserve that failed over (%s)", MetricNames.POOL_RETRIES_TOTAL)
        .isGreaterThan(retriedBefore);
    assertReferenceAnswer();
  }

  @Test
  @Order(6)
  void stoppingTheOnlyMemberFailsItsStepWithUnavailableNamingIt() throws Exception {
    triton.kill(); // as a crash would
    // Whether the call still reaches the member (its call fails) or the health checks have taken it
    // out (the pool has none to offer), the step ends within the deadline, naming the member; and
    // again once the member is surely out of routing.
    assertUnavailableNamingTriton();
    orchestrator.awaitPools(r -> !state(r, "triton", 0).equals("READY"), Duration.ofSeconds(60));
    assertUnavailableNamingTriton();
  }

  private static void assertUnavailableNamingTriton() {
    assertThatThrownBy(() -> run(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).contains("step affine", "triton-0");
        });
  }

  private static String failedStart(String name, String config) throws Exception {
    try (OrchestratorProcess p = OrchestratorProcess.start(name, """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        """ + config)) {
      assertThat(p.process.waitFor(120, TimeUnit.SECONDS)).as("serve exits at start").isTrue();
      assertThat(p.process.exitValue()).as("serve's exit code; its log:\n%s", p.tail()).isNotZero();
      return Files.readString(p.log);
    }
  }

  /** junction_pool_retries_total of pool kserve, outcome retried, from /metrics. */
  private static long kserveRetries() throws Exception {
    String metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + orchestrator.httpPort + "/metrics"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines()
        .filter(l -> l.startsWith(MetricNames.POOL_RETRIES_TOTAL + "{") && l.contains(MetricNames.POOL + "=\"kserve\"")
            && l.contains(MetricNames.OUTCOME + "=\"" + MetricNames.RETRIED + "\""))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static String state(ListPoolsResponse pools, String pool, int member) {
    return member(pools, pool, member).getState();
  }

  private static ReplicaInfo member(ListPoolsResponse pools, String pool, int member) {
    for (PoolInfo p : pools.getPoolsList()) {
      if (p.getName().equals(pool)) {
        return p.getReplicas(member);
      }
    }
    throw new AssertionError("no pool " + pool + " in " + pools);
  }

  private static RunPipelineResponse run(Duration deadline) {
    Tensor users = Tensor.ofLongs("user_id", new long[] {USERS.length}, USERS);
    return orchestrator.runPipeline("foreign", deadline, users);
  }

  /** score[i] = 0.5 * sum_j (2 e[i, j] + 1)^2 - 3, from the embedding the Junction worker gave. */
  private static void assertReferenceAnswer() {
    RunPipelineResponse response = run(Duration.ofSeconds(30));
    List<Tensor> outputs = TensorCodec.fromOutputs(response.getOutputsList(), List.of());
    Tensor embedding = outputs.stream().filter(t -> t.name().equals("embedding")).findFirst().orElseThrow();
    Tensor score = outputs.stream().filter(t -> t.name().equals("score")).findFirst().orElseThrow();
    assertThat(embedding.shape()).containsExactly(USERS.length, 32);
    assertThat(score.shape()).containsExactly(USERS.length);
    float[] e = embedding.floats();
    float[] y = score.floats();
    for (int i = 0; i < USERS.length; i++) {
      double sum = 0;
      for (int j = 0; j < 32; j++) {
        double a = 2.0 * e[i * 32 + j] + 1.0;
        sum += a * a;
      }
      double expected = 0.5 * sum - 3.0;
      assertThat((double) y[i]).as("score of user %d", USERS[i]).isCloseTo(expected, within(1e-4 * Math.abs(expected) + 1e-4));
    }
  }
}
