package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A static pool: a worker started by hand (as `bin/junction-worker` does) is a pool member the
 * orchestrator routes to and reports on, but does not own: stopping the orchestrator leaves it
 * running.
 */
class StaticPoolTest {
  private static final Pattern READY = Pattern.compile("JUNCTION_WORKER_READY .*\"port\":(\\d+)");

  @Test
  void handStartedWorkerServesAsAStaticPoolMember() throws Exception {
    Process worker = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"),
        "io.junction.workers.cli.WorkerMain",
        "--repository", OrchestratorProcess.repository().toString(),
        "--models", "user_tower", "--port", "0", "--exit-with-stdin")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      int port = readyPort(worker);
      String config = """
          server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
          pools:
            - {name: towers, kind: static, models: [user_tower], endpoints: ["127.0.0.1:%d"]}
          """.formatted(port);
      try (OrchestratorProcess orchestrator = OrchestratorProcess.start("static", config)) {
        ListPoolsResponse pools = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(60));
        assertThat(pools.getPools(0).getKind()).isEqualTo("static");
        ReplicaInfo member = pools.getPools(0).getReplicas(0);
        assertThat(member.getEndpoint()).isEqualTo("127.0.0.1:" + port);
        assertThat(member.getPid()).as("pid as the member reports it").isEqualTo(worker.pid());
        assertThat(member.getDevice()).isEqualTo("cpu");

        ModelInferResponse response = GRPCInferenceServiceGrpc.newBlockingStub(orchestrator.channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower")
                .addInputs(TensorCodec.toTypedInput(Tensor.ofLongs("user_id", new long[] {3}, 0, 1, 2)))
                .build());
        List<Tensor> outputs = TensorCodec.fromOutputs(response.getOutputsList(), response.getRawOutputContentsList());
        assertThat(outputs.get(0).shape()).containsExactly(3, 32);

        orchestrator.process.destroy();
        assertThat(orchestrator.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(worker.isAlive()).as("a static member is not the orchestrator's to stop").isTrue();
    } finally {
      worker.getOutputStream().close(); // --exit-with-stdin: the worker goes when its stdin closes
      if (!worker.waitFor(20, TimeUnit.SECONDS)) {
        worker.destroyForcibly();
      }
    }
  }

  /** The port a worker started with --port announces in its READY line, within two minutes. */
  static int readyPort(Process worker) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String line;
    while (System.nanoTime() < end && (line = out.readLine()) != null) {
      Matcher m = READY.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("the worker did not announce READY (exit: " + (worker.isAlive() ? "running" : worker.exitValue()) + ")");
  }
}
