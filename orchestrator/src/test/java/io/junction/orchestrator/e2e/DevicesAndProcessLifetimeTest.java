package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ReplicaInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Device selection, CPU pinning and process lifetime through `junction serve`: a pinned pool
 * runs under its affinity, a GPU pool without a GPU fails at start with a clear error (or runs
 * on the CPU when it allows fallback), and a SIGKILLed orchestrator takes its workers along.
 */
class DevicesAndProcessLifetimeTest {

  @Test
  void pinnedGpuPoolWithFallbackRunsOnCpuZeroAndDiesWithAKilledOrchestrator() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - {name: pinned, kind: local, models: [featurizer], replicas: 1, device: "gpu:0", fallback: cpu, cpus: "0", jvm_options: [-Xmx256m]}
        """;
    try (OrchestratorProcess orchestrator = OrchestratorProcess.start("pinned", config)) {
      ListPoolsResponse pools = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(180));
      ReplicaInfo replica = pools.getPools(0).getReplicas(0);
      assertThat(pools.getPools(0).getDevice()).isEqualTo("gpu:0");
      assertThat(replica.getDevice()).as("a machine without a GPU falls back to the CPU").isEqualTo("cpu");
      assertThat(replica.getCpus()).isEqualTo("0");

      Process taskset = new ProcessBuilder("taskset", "-p", Long.toString(replica.getPid())).redirectErrorStream(true).start();
      String affinity = new String(taskset.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertThat(taskset.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(affinity).endsWith("current affinity mask: 1");

      orchestrator.process.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(orchestrator.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      OrchestratorProcess.assertAllExit(List.of(replica.getPid()), Duration.ofSeconds(15));
    }
  }

  @Test
  void gpuPoolWithoutAGpuFailsAtStartWithAClearError() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - {name: gpus, kind: local, models: [featurizer], replicas: 1, device: "gpu:0", jvm_options: [-Xmx256m]}
        """;
    try (OrchestratorProcess orchestrator = OrchestratorProcess.start("gpu-without-fallback", config)) {
      assertThat(orchestrator.process.waitFor(180, TimeUnit.SECONDS)).as("serve gives up").isTrue();
      assertThat(orchestrator.process.exitValue()).isNotZero();
      String log = Files.readString(orchestrator.log);
      assertThat(log).contains("gpus").contains("gpu:0").containsIgnoringCase("fallback");
    }
  }
}
