package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.junction.grpc.EventLoops;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import io.junction.workers.runtime.TensorFlowNatives;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Pools of real worker processes, through {@link Pools#create}: what a user of a local pool
 * relies on. The worker JVMs start once for the class (four in one start: a pool of two, a
 * pool pinned to CPU 0, a GPU pool falling back to the CPU), plus one GPU pool without
 * fallback that must refuse to start. The model is a tiny SavedModel built here: y = 2x.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalPoolWorkersTest {
  private static final String WORKER_MAIN = "io.junction.workers.cli.WorkerMain";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Tensor X = Tensor.ofFloats("x", new long[] {2, 2}, 1f, 2f, 3f, -4f);

  @TempDir
  static Path repository;

  private static Pools pools;
  /** The loops every channel of the pools runs on, as the orchestrator's one group. */
  private static final EventLoops loops = EventLoops.create("pool-test-grpc", 2);
  /** Every worker pid seen, so that the last test can check none outlives close(). */
  private static final Set<Long> pidsSeen = new ConcurrentSkipListSet<>();

  @BeforeAll
  static void startPools() throws Exception {
    // The workers run from junction.worker.classpath when it is set, else from our class path.
    assumeTrue(System.getProperty(WorkerCommand.CLASSPATH_PROPERTY) != null || onClassPath(WORKER_MAIN),
        "the worker (" + WORKER_MAIN + ") is not on the class path yet");
    TensorFlowNatives.ensureConfigured();
    Engine.getEngine("TensorFlow");
    for (String model : List.of("scale", "pinned", "fallback", "nogpu")) {
      buildScaleModel(repository, model);
    }
    pools = Pools.create(List.of(
        local("scale", 2, Device.CPU, false, List.of()),
        local("pinned", 1, Device.CPU, false, List.of("0")),
        local("fallback", 1, Device.gpu(0), true, List.of())), loops);
    pools.start();
    pools.snapshot().forEach(p -> p.replicas().forEach(r -> pidsSeen.add(r.pid())));
  }

  @AfterAll
  static void closePools() {
    if (pools != null) {
      pools.close();
    }
    loops.close();
  }

  static PoolSpec local(String name, int replicas, Device device, boolean fallback, List<String> cpus) {
    return new PoolSpec(name, PoolSpec.Kind.LOCAL, List.of(name), replicas, device, fallback, cpus, List.of(),
        Optional.of(repository), 16, Duration.ofSeconds(1), START_TIMEOUT, List.of("-Xmx256m"));
  }

  @Test
  @Order(1)
  void aPoolOfTwoBecomesReadyWithTwoProcesses() {
    PoolSnapshot scale = snapshot("scale");
    assertThat(scale.replicas()).extracting(PoolSnapshot.ReplicaSnapshot::id).containsExactly("scale-0", "scale-1");
    assertThat(scale.replicas()).allSatisfy(r -> {
      assertThat(r.state()).isEqualTo("READY");
      assertThat(r.device()).isEqualTo("cpu");
      assertThat(r.endpoint()).startsWith("127.0.0.1:");
      assertThat(ProcessHandle.of(r.pid())).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
    });
    assertThat(scale.replicas().get(0).pid()).isNotEqualTo(scale.replicas().get(1).pid());
    assertThat(pools.models().get("scale").inputs())
        .containsExactly(new TensorSpec("x", DataType.FP32, List.of(-1L, 2L)));
  }

  @Test
  @Order(2)
  void inferReturnsTheModelsAnswer() throws Exception {
    List<Tensor> out = pools.infer("scale", List.of(X), List.of(), Deadline.after(30, TimeUnit.SECONDS))
        .get(60, TimeUnit.SECONDS);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).name()).isEqualTo("y");
    assertThat(out.get(0).shape()).containsExactly(2, 2);
    assertThat(out.get(0).floats()).containsExactly(2f, 4f, 6f, -8f);
  }

  @Test
  @Order(2)
  void aCallOnAnEventLoopGoesOverTheWorkersCallStream() throws Exception {
    long before = ((PoolSet) pools).callsOverStreams("scale");
    for (int i = 0; i < 6; i++) {
      assertThat(inferOnLoop(i % loops.size()).get(0).floats()).containsExactly(2f, 4f, 6f, -8f);
    }
    assertThat(((PoolSet) pools).callsOverStreams("scale")).isEqualTo(before + 6);
  }

  /** A call made on one of the loops, as the orchestrator's server makes them. */
  private static List<Tensor> inferOnLoop(int loop) throws Exception {
    return loops.loop(loop).submit(() -> pools.infer("scale", List.of(X), List.of(), Deadline.after(30, TimeUnit.SECONDS)))
        .get(10, TimeUnit.SECONDS).get(60, TimeUnit.SECONDS);
  }

  @Test
  @Order(2)
  void localReplicasAreReachedOverTheirOwnUnixSockets() throws Exception {
    assumeTrue(loops.unixSockets(), "no epoll transport here: local replicas are dialed over TCP");
    List<PoolSnapshot.ReplicaSnapshot> scale = snapshot("scale").replicas();
    assertThat(scale).allSatisfy(r -> {
      assertThat(r.socket()).as("the endpoint kind the pool dials").endsWith(".sock");
      assertThat(Files.exists(Path.of(r.socket()))).isTrue();
      assertThat(r.endpoint()).as("TCP stays, for grpcurl and direct clients").startsWith("127.0.0.1:");
    });
    assertThat(scale.get(0).socket()).isNotEqualTo(scale.get(1).socket());
    assertThat(Path.of(scale.get(0).socket()).getParent()).isEqualTo(Path.of(scale.get(1).socket()).getParent());
    for (int i = 0; i < 4; i++) {
      assertThat(pools.infer("scale", List.of(X), List.of(), Deadline.after(30, TimeUnit.SECONDS))
          .get(60, TimeUnit.SECONDS).get(0).floats()).containsExactly(2f, 4f, 6f, -8f);
    }
    for (PoolSnapshot.ReplicaSnapshot r : scale) {
      // An accepted Unix connection carries the listener's path: more than the listener itself
      // means the pool's channel is connected there, not to the TCP port.
      assertThat(unixSocketsNamed(r.socket())).as("listener and accepted connections at " + r.socket())
          .isGreaterThanOrEqualTo(2);
      ManagedChannel direct = loops.channelTo(EventLoops.UNIX + r.socket()).build();
      try {
        assertThat(GRPCInferenceServiceGrpc.newBlockingStub(direct).withDeadlineAfter(30, TimeUnit.SECONDS)
            .serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
      } finally {
        direct.shutdownNow();
      }
    }
  }

  @Test
  @Order(3)
  void aPinnedReplicaRunsEveryThreadOnItsCpu() throws IOException {
    PoolSnapshot.ReplicaSnapshot r = snapshot("pinned").replicas().get(0);
    assertThat(r.state()).isEqualTo("READY");
    assertThat(r.cpus()).isEqualTo("0");
    Set<String> affinities = new TreeSet<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(r.pid()), "task"))) {
      for (Path task : tasks.toList()) {
        cpusAllowed(task.resolve("status")).ifPresent(affinities::add);
      }
    }
    assertThat(affinities).containsExactly("0");
    assertThat(pools.infer("pinned", List.of(X), List.of("y"), null).join().get(0).floats())
        .containsExactly(2f, 4f, 6f, -8f);
  }

  @Test
  @Order(4)
  void aGpuReplicaWithFallbackRunsOnTheCpu() {
    assumeTrue(noGpuHere(), "this machine has a GPU");
    PoolSnapshot p = snapshot("fallback");
    assertThat(p.device()).isEqualTo(Device.gpu(0));
    assertThat(p.replicas().get(0).state()).isEqualTo("READY");
    assertThat(p.replicas().get(0).device()).isEqualTo("cpu");
    assertThat(pools.infer("fallback", List.of(X), List.of(), null).join().get(0).floats())
        .containsExactly(2f, 4f, 6f, -8f);
  }

  @Test
  @Order(5)
  void aGpuPoolWithoutAGpuFailsToStartAndSaysGpu0() {
    assumeTrue(noGpuHere(), "this machine has a GPU");
    Pools gpu = Pools.create(List.of(local("nogpu", 1, Device.gpu(0), false, List.of())), loops);
    try {
      assertThatThrownBy(gpu::start)
          .isInstanceOf(PoolStartException.class)
          .hasMessageContaining("pool nogpu: replica nogpu-0 (device gpu:0) could not start: ");
      PoolSnapshot.ReplicaSnapshot r = gpu.snapshot().get(0).replicas().get(0);
      assertThat(r.state()).isEqualTo("FAILED");
      assertThat(r.lastError()).contains("gpu:0");
      assertThat(r.restarts()).isZero();
      if (r.pid() > 0) {
        assertThat(ProcessHandle.of(r.pid()).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
      }
    } finally {
      gpu.close();
    }
  }

  @Test
  @Order(6)
  void killedReplicaIsReplacedAndServes() throws Exception {
    PoolSnapshot.ReplicaSnapshot victim = snapshot("scale").replicas().get(1);
    ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();

    PoolSnapshot.ReplicaSnapshot replaced = awaitReplica("scale", 1,
        r -> r.state().equals("READY") && r.pid() != victim.pid() && r.restarts() == 1, Duration.ofSeconds(60));
    assertThat(replaced.state()).isEqualTo("READY");
    assertThat(replaced.pid()).isNotEqualTo(victim.pid());
    assertThat(replaced.restarts()).isEqualTo(1);
    assertThat(replaced.lastError()).isEmpty();
    pidsSeen.add(replaced.pid());
    assertThat(ProcessHandle.of(victim.pid()).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
    if (!victim.socket().isEmpty()) {
      assertThat(Path.of(victim.socket())).as("the killed worker's socket is removed").doesNotExist();
      assertThat(replaced.socket()).isNotEqualTo(victim.socket());
      assertThat(Path.of(replaced.socket())).exists();
    }

    for (int i = 0; i < 8; i++) {
      assertThat(pools.infer("scale", List.of(X), List.of(), Deadline.after(30, TimeUnit.SECONDS))
          .get(60, TimeUnit.SECONDS).get(0).floats()).containsExactly(2f, 4f, 6f, -8f);
    }
    // Over call streams too: the killed worker's streams died with it; the new one gets its own.
    for (int i = 0; i < 8; i++) {
      assertThat(inferOnLoop(i % loops.size()).get(0).floats()).containsExactly(2f, 4f, 6f, -8f);
    }
  }

  @Test
  @Order(7)
  void closeLeavesNoChildAlive() throws Exception {
    List<Path> sockets = pools.snapshot().stream().flatMap(p -> p.replicas().stream())
        .filter(r -> !r.socket().isEmpty()).map(r -> Path.of(r.socket())).toList();
    pools.close();
    assertThat(sockets).allSatisfy(s -> {
      assertThat(s).as("sockets are removed when their replicas stop").doesNotExist();
      assertThat(s.getParent()).as("and so is their private folder").doesNotExist();
    });
    for (PoolSnapshot p : pools.snapshot()) {
      assertThat(p.replicas()).extracting(PoolSnapshot.ReplicaSnapshot::state).containsOnly("STOPPED");
    }
    List<Long> alive = new ArrayList<>();
    for (long pid : pidsSeen) {
      if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        alive.add(pid);
      }
    }
    assertThat(alive).as("worker pids still alive after close").isEmpty();
    assertThat(ProcessHandle.current().children()
        .filter(ph -> ph.info().commandLine().orElse("").contains(WORKER_MAIN)).toList()).isEmpty();
  }

  // ---- helpers ----

  private static PoolSnapshot snapshot(String pool) {
    return pools.snapshot().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow();
  }

  private static PoolSnapshot.ReplicaSnapshot awaitReplica(
      String pool, int index, Predicate<PoolSnapshot.ReplicaSnapshot> condition, Duration bound) throws InterruptedException {
    long end = System.nanoTime() + bound.toNanos();
    PoolSnapshot.ReplicaSnapshot r = snapshot(pool).replicas().get(index);
    while (!condition.test(r) && System.nanoTime() < end) {
      Thread.sleep(100);
      r = snapshot(pool).replicas().get(index);
    }
    return r;
  }

  /** Unix sockets in the kernel's table bound to {@code path}: a listener plus one per accepted connection. */
  private static long unixSocketsNamed(String path) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
      return lines.filter(l -> l.endsWith(" " + path)).count();
    }
  }

  private static Optional<String> cpusAllowed(Path status) {
    try {
      return Files.readAllLines(status).stream()
          .filter(l -> l.startsWith("Cpus_allowed_list:"))
          .map(l -> l.substring("Cpus_allowed_list:".length()).trim())
          .findFirst();
    } catch (IOException e) {
      return Optional.empty(); // the thread ended while we looked
    }
  }

  private static boolean noGpuHere() {
    return !Files.exists(Path.of("/dev/nvidia0"));
  }

  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, LocalPoolWorkersTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Writes {@code <repo>/<name>/1/} (a SavedModel: y = 2x, x FP32 [-1, 2]) and its model.yaml. */
  private static void buildScaleModel(Path repo, String name) throws IOException {
    Path dir = repo.resolve(name);
    Files.createDirectories(dir);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      Operand<TFloat32> y = tf.math.mul(x, tf.constant(2f));
      SavedModelBundle.exporter(dir.resolve("1").toString())
          .withSession(s)
          .withSignature(Signature.builder().key("serving_default").input("x", x).output("y", y).build())
          .export();
    }
    Files.writeString(dir.resolve("model.yaml"), """
        name: %s
        version: 1
        platform: tensorflow_savedmodel
        max_batch_size: 8
        inputs:
          - {name: x, datatype: FP32, shape: [-1, 2]}
        outputs:
          - {name: y, datatype: FP32, shape: [-1, 2]}
        """.formatted(name));
  }
}
