package io.junction.orchestrator.pool;

import io.junction.workers.runtime.CpuAffinity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line and environment of one local replica's worker JVM. Pure: building it
 * starts nothing, so every flag is unit-tested.
 *
 * <p>Pinning follows the design: a CPU list runs the JVM under {@code taskset -c}, so every
 * thread it ever makes has that affinity, and {@code -XX:ActiveProcessorCount} tells the JVM
 * (and through it the worker's model-call threads and TensorFlow's thread pools) how many cores
 * it really has. An unpinned replica is told its share of the orchestrator's machine instead
 * (its cores divided among the unpinned local replicas of every pool, at least one), so that N
 * replicas on C cores run about C model threads between them, not N times C. A GPU replica sees
 * only its own GPU through {@code CUDA_VISIBLE_DEVICES}; a CPU replica sees none, so that
 * TensorFlow does not reserve memory on GPUs it will not use.
 */
record WorkerCommand(List<String> command, Map<String, String> environment) {
  static final String MAIN_CLASS = "io.junction.workers.cli.WorkerMain";
  static final String CLASSPATH_PROPERTY = "junction.worker.classpath";

  WorkerCommand {
    command = List.copyOf(command);
    environment = Map.copyOf(environment);
  }

  /**
   * What the command needs from the orchestrator's own process.
   *
   * @param cores the processors of the machine the workers share (this JVM's count)
   * @param unpinnedReplicas local replicas of every pool that run without a CPU list: the
   *     replicas that share those cores
   */
  record Host(String javaExecutable, String classpath, long parentPid, int cores, int unpinnedReplicas) {
    Host {
      if (cores < 1 || unpinnedReplicas < 0) {
        throw new IllegalArgumentException("cores: " + cores + ", unpinned replicas: " + unpinnedReplicas
            + " (expected: cores >= 1, replicas >= 0)");
      }
    }

    /** A host whose replicas are all pinned, or that is the only one on its cores. */
    Host(String javaExecutable, String classpath, long parentPid) {
      this(javaExecutable, classpath, parentPid, Runtime.getRuntime().availableProcessors(), 1);
    }

    /** This JVM's java, the worker class path (the system property, else ours) and our pid. */
    static Host current() {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String cp = System.getProperty(CLASSPATH_PROPERTY);
      if (cp == null || cp.isBlank()) {
        cp = System.getProperty("java.class.path");
      }
      return new Host(java, cp, ProcessHandle.current().pid());
    }

    /**
     * This host, its cores shared by the unpinned local replicas of {@code pools}; an autoscaled
     * pool counts with its max_replicas, the most it may run at once.
     */
    Host sharedBy(List<PoolSpec> pools) {
      int unpinned = pools.stream()
          .filter(p -> p.kind() == PoolSpec.Kind.LOCAL && p.cpus().isEmpty())
          .mapToInt(PoolSpec::maxReplicas).sum();
      return new Host(javaExecutable, classpath, parentPid, cores, unpinned);
    }

    /** The cores an unpinned replica is told it has: an equal share, at least one. */
    int unpinnedShare() {
      return Math.max(1, cores / Math.max(1, unpinnedReplicas));
    }
  }

  static String replicaId(String pool, int index) {
    return pool + "-" + index;
  }

  static WorkerCommand forReplica(PoolSpec spec, int index, Host host) {
    return forReplica(spec, index, host, Optional.empty());
  }

  /** @param socket the Unix socket the worker listens on besides its TCP port, if any */
  static WorkerCommand forReplica(PoolSpec spec, int index, Host host, Optional<Path> socket) {
    Optional<String> cpus = spec.cpusOf(index);
    List<String> cmd = new ArrayList<>();
    if (cpus.isPresent()) {
      cmd.add("taskset");
      cmd.add("-c");
      cmd.add(cpus.get());
    }
    cmd.add(host.javaExecutable());
    int count = cpus.map(WorkerCommand::cpuCount).orElseGet(host::unpinnedShare);
    cmd.add("-XX:ActiveProcessorCount=" + count);
    // With one core the JVM would pick SerialGC anyway; naming it makes the choice visible
    // in `ps` and keeps it if the JVM's ergonomics change. A collector the pool names wins.
    if (count == 1 && spec.jvmOptions().stream().noneMatch(WorkerCommand::namesCollector)) {
      cmd.add("-XX:+UseSerialGC");
    }
    cmd.addAll(spec.jvmOptions());
    cmd.add("-Dcom.google.protobuf.use_unsafe_pre22_gencode=true");
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-cp");
    cmd.add(host.classpath());
    cmd.add(MAIN_CLASS);
    cmd.add("--repository");
    cmd.add(spec.repository()
        .orElseThrow(() -> new IllegalArgumentException(
            "pool " + spec.name() + ": repository: none (expected: a model repository folder for a local pool)"))
        .toString());
    cmd.add("--models");
    cmd.add(String.join(",", spec.models()));
    cmd.add("--port");
    cmd.add("0");
    if (socket.isPresent()) {
      cmd.add("--socket");
      cmd.add(socket.get().toString());
    }
    cmd.add("--device");
    cmd.add(spec.device().toString());
    if (spec.fallbackCpu()) {
      cmd.add("--fallback-cpu");
    }
    if (cpus.isPresent()) {
      cmd.add("--cpus");
      cmd.add(cpus.get());
    }
    if (!spec.batching()) {
      cmd.add("--batching");
      cmd.add("off");
    }
    cmd.add("--id");
    cmd.add(replicaId(spec.name(), index));
    cmd.add("--parent-pid");
    cmd.add(Long.toString(host.parentPid()));
    cmd.add("--exit-with-stdin");

    Map<String, String> env = new LinkedHashMap<>();
    env.put("CUDA_VISIBLE_DEVICES", spec.device().isGpu() ? Integer.toString(spec.device().index()) : "-1");
    env.put("TF_CPP_MIN_LOG_LEVEL", "2");
    env.put("OPT_OUT_TRACKING", "true");
    return new WorkerCommand(cmd, env);
  }

  private static boolean namesCollector(String option) {
    return option.startsWith("-XX:+Use") && option.endsWith("GC");
  }

  /** Number of CPUs in a Linux CPU list such as {@code 0-3,6,8-9}, counted as the worker counts them. */
  static int cpuCount(String list) {
    try {
      return CpuAffinity.countCpus(list);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cpus: \"" + list + "\" (expected: a CPU list such as 0, 0-3 or 0,2-3)", e);
    }
  }
}
