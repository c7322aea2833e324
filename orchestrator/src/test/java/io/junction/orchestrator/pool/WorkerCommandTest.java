package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerCommandTest {
  private static final WorkerCommand.Host HOST = new WorkerCommand.Host("/jdk/bin/java", "/a.jar:/b.jar", 777);

  static PoolSpec local(String name, Device device, boolean fallback, List<String> cpus, List<String> jvmOptions) {
    return new PoolSpec(name, PoolSpec.Kind.LOCAL, List.of("featurizer", "intent"), 2, device, fallback, cpus,
        List.of(), Optional.of(Path.of("/models")), 8, Duration.ofSeconds(5), Duration.ofSeconds(60), jvmOptions);
  }

  @Test
  void aPinnedCpuReplicaRunsUnderTasksetWithItsCoreCount() {
    WorkerCommand c = WorkerCommand.forReplica(
        local("conv", Device.CPU, false, List.of("0-1"), List.of("-Xmx512m")), 1, HOST);
    assertThat(c.command()).containsExactly(
        "taskset", "-c", "0-1",
        "/jdk/bin/java", "-XX:ActiveProcessorCount=2", "-Xmx512m",
        "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true", "-Dai.djl.offline=true",
        "-cp", "/a.jar:/b.jar", "io.junction.workers.cli.WorkerMain",
        "--repository", "/models", "--models", "featurizer,intent", "--port", "0", "--device", "cpu",
        "--cpus", "0-1", "--id", "conv-1", "--parent-pid", "777", "--exit-with-stdin");
    assertThat(c.environment()).containsEntry("CUDA_VISIBLE_DEVICES", "-1")
        .containsEntry("TF_CPP_MIN_LOG_LEVEL", "2")
        .containsEntry("OPT_OUT_TRACKING", "true");
  }

  @Test
  void eachReplicaGetsItsOwnCpusWhenOneEntryPerReplicaIsGiven() {
    PoolSpec spec = local("conv", Device.CPU, false, List.of("0", "1"), List.of());
    assertThat(WorkerCommand.forReplica(spec, 0, HOST).command()).startsWith("taskset", "-c", "0").contains("--id", "conv-0");
    assertThat(WorkerCommand.forReplica(spec, 1, HOST).command()).startsWith("taskset", "-c", "1").contains("--id", "conv-1");
  }

  @Test
  void oneCoreNamesTheSerialCollectorUnlessThePoolNamesOne() {
    List<String> cmd = WorkerCommand.forReplica(local("p", Device.CPU, false, List.of("3"), List.of()), 0, HOST).command();
    assertThat(cmd).contains("-XX:ActiveProcessorCount=1", "-XX:+UseSerialGC");
    cmd = WorkerCommand.forReplica(local("p", Device.CPU, false, List.of("3"), List.of("-XX:+UseParallelGC")), 0, HOST).command();
    assertThat(cmd).contains("-XX:ActiveProcessorCount=1", "-XX:+UseParallelGC").doesNotContain("-XX:+UseSerialGC");
    cmd = WorkerCommand.forReplica(local("p", Device.CPU, false, List.of("2,4-5"), List.of()), 0, HOST).command();
    assertThat(cmd).contains("-XX:ActiveProcessorCount=3").doesNotContain("-XX:+UseSerialGC");
  }

  @Test
  void anUnpinnedReplicaIsNotUnderTasksetAndIsToldItsShareOfTheCores() {
    WorkerCommand.Host twoCoresTwoReplicas = new WorkerCommand.Host("/jdk/bin/java", "/cp", 777, 2, 2);
    List<String> cmd = WorkerCommand.forReplica(local("p", Device.CPU, false, List.of(), List.of()), 0,
        twoCoresTwoReplicas).command();
    assertThat(cmd.get(0)).isEqualTo("/jdk/bin/java");
    assertThat(cmd).containsSequence("/jdk/bin/java", "-XX:ActiveProcessorCount=1", "-XX:+UseSerialGC")
        .doesNotContain("--cpus", "taskset");

    WorkerCommand.Host eightCoresThreeReplicas = new WorkerCommand.Host("/jdk/bin/java", "/cp", 777, 8, 3);
    cmd = WorkerCommand.forReplica(local("p", Device.CPU, false, List.of(), List.of()), 0,
        eightCoresThreeReplicas).command();
    assertThat(cmd).contains("-XX:ActiveProcessorCount=2").doesNotContain("-XX:+UseSerialGC");

    WorkerCommand.Host crowded = new WorkerCommand.Host("/jdk/bin/java", "/cp", 777, 2, 5);
    assertThat(WorkerCommand.forReplica(local("p", Device.CPU, false, List.of(), List.of()), 0, crowded).command())
        .as("never fewer than one core").contains("-XX:ActiveProcessorCount=1");
  }

  @Test
  void theCoresAreSharedByTheUnpinnedLocalReplicasOfEveryPool() {
    PoolSpec pinned = local("pinned", Device.CPU, false, List.of("0"), List.of());
    PoolSpec conversation = local("conversation", Device.CPU, false, List.of(), List.of()); // 2 replicas
    PoolSpec remote = new PoolSpec("remote", PoolSpec.Kind.STATIC, List.of("m"), 3, Device.CPU, false, List.of(),
        List.of("a:1", "b:1", "c:1"), Optional.empty(), 8, Duration.ofSeconds(5), Duration.ofSeconds(60), List.of());
    WorkerCommand.Host host = new WorkerCommand.Host("/jdk/bin/java", "/cp", 777, 6, 1)
        .sharedBy(List.of(pinned, conversation, remote));
    assertThat(host.unpinnedReplicas()).isEqualTo(2);
    assertThat(host.unpinnedShare()).isEqualTo(3);
    assertThat(WorkerCommand.forReplica(pinned, 0, host).command()).contains("-XX:ActiveProcessorCount=1");
    assertThat(WorkerCommand.forReplica(conversation, 1, host).command()).contains("-XX:ActiveProcessorCount=3");
  }

  @Test
  void aGpuReplicaSeesOnlyItsGpuAndMayFallBack() {
    WorkerCommand c = WorkerCommand.forReplica(local("g", Device.gpu(3), true, List.of(), List.of()), 0, HOST);
    assertThat(c.environment()).containsEntry("CUDA_VISIBLE_DEVICES", "3");
    assertThat(String.join(" ", c.command())).contains("--device gpu:3 --fallback-cpu --id g-0");
    c = WorkerCommand.forReplica(local("g", Device.gpu(0), false, List.of(), List.of()), 0, HOST);
    assertThat(c.command()).contains("gpu:0").doesNotContain("--fallback-cpu");
  }

  @Test
  void aPoolWithBatchingOffStartsItsWorkersWithBatchingOff() {
    PoolSpec on = local("p", Device.CPU, false, List.of(), List.of());
    assertThat(WorkerCommand.forReplica(on, 0, HOST).command()).doesNotContain("--batching");
    PoolSpec off = new PoolSpec(on.name(), on.kind(), on.models(), on.replicas(), on.device(), on.fallbackCpu(),
        on.cpus(), on.endpoints(), on.repository(), on.maxInFlight(), on.healthInterval(), on.startTimeout(),
        on.jvmOptions(), false);
    assertThat(String.join(" ", WorkerCommand.forReplica(off, 0, HOST).command())).contains("--batching off --id p-0");
  }

  @Test
  void theWorkerClasspathPropertyWinsOverOurs() {
    String before = System.getProperty(WorkerCommand.CLASSPATH_PROPERTY);
    try {
      System.setProperty(WorkerCommand.CLASSPATH_PROPERTY, "/worker/lib/*");
      assertThat(WorkerCommand.Host.current().classpath()).isEqualTo("/worker/lib/*");
      System.clearProperty(WorkerCommand.CLASSPATH_PROPERTY);
      assertThat(WorkerCommand.Host.current().classpath()).isEqualTo(System.getProperty("java.class.path"));
      assertThat(WorkerCommand.Host.current().parentPid()).isEqualTo(ProcessHandle.current().pid());
      assertThat(WorkerCommand.Host.current().javaExecutable()).endsWith("/bin/java");
    } finally {
      if (before != null) {
        System.setProperty(WorkerCommand.CLASSPATH_PROPERTY, before);
      }
    }
  }

  @Test
  void cpuListsAreCounted() {
    assertThat(WorkerCommand.cpuCount("0")).isEqualTo(1);
    assertThat(WorkerCommand.cpuCount("0-3")).isEqualTo(4);
    assertThat(WorkerCommand.cpuCount("0,2-3,7")).isEqualTo(4);
    assertThatThrownBy(() -> WorkerCommand.cpuCount("3-1"))
        .hasMessage("cpus: \"3-1\" (expected: a CPU list such as 0, 0-3 or 0,2-3)");
    assertThatThrownBy(() -> WorkerCommand.cpuCount("a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WorkerCommand.cpuCount("0,,1")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLocalPoolWithoutARepositoryIsRefused() {
    PoolSpec spec = new PoolSpec("p", PoolSpec.Kind.LOCAL, List.of("a"), 1, Device.CPU, false, List.of(), List.of(),
        Optional.empty(), 8, Duration.ofSeconds(5), Duration.ofSeconds(60), List.of());
    assertThatThrownBy(() -> WorkerCommand.forReplica(spec, 0, HOST))
        .hasMessageContaining("pool p: repository: none (expected: ");
  }
}
