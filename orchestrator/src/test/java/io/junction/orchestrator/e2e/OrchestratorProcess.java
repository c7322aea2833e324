package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.InjectFaultRequest;
import io.junction.proto.v1.InjectFaultResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.models.ModelKit;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real orchestrator for end-to-end tests: `junction serve --config FILE` in its own JVM, with
 * its own local worker processes, on free loopback ports. Everything a test talks to is real.
 */
final class OrchestratorProcess implements AutoCloseable {
  private static final Path LOGS = Path.of("target", "e2e-logs");

  /**
   * The demo's chat pipeline (featurize, classify, a reply loop) as an item of a config's
   * {@code pipelines:} list, for {@code formatted(suffix, line)}: it is named chat + suffix and
   * has {@code line} (such as {@code fuse: false}) as a key of its own. Its decoding inputs have
   * the demo's greedy defaults.
   */
  static final String CHAT_PIPELINE = """
        - name: chat%1$s
          %2$s
          inputs: [{name: text, datatype: BYTES, shape: [1]}, {name: temperature, datatype: FP32, shape: [1], default: [0.0]},
                    {name: top_k, datatype: INT32, shape: [1], default: [0]}, {name: seed, datatype: INT64, shape: [1], default: [0]}]
          outputs:
            - {name: intent, from: classify.intent}
            - {name: confidence, from: classify.confidence}
            - {name: tokens, from: reply.next_token}
          steps:
            - {name: featurize, model: featurizer, inputs: {text: input.text}}
            - {name: classify, model: intent, inputs: {features: featurize.features}}
            - name: reply
              loop:
                model: responder
                inputs: {intent_id: classify.intent_id, temperature: input.temperature, top_k: input.top_k, seed: input.seed}
                feedback: {input: context, output: next_id, window: 2, start: 1}
                iteration: iteration
                collect: [next_token, next_id]
                until: {output: next_id, equals: 2}
                max_iterations: 24
      """;

  /**
   * The demo's recommend pipeline (user tower, retrieval and popular, merge, ranker) as an item
   * of a config's {@code pipelines:} list, for {@code formatted(suffix, line)} as
   * {@link #CHAT_PIPELINE} is.
   */
  static final String RECOMMEND_PIPELINE = """
        - name: recommend%1$s
          %2$s
          inputs: [{name: user_id, datatype: INT64, shape: [1]}]
          outputs:
            - {name: items, from: ranker.items}
            - {name: scores, from: ranker.scores}
          steps:
            - {name: user_tower, model: user_tower, inputs: {user_id: input.user_id}}
            - {name: retrieval, model: retrieval, inputs: {embedding: user_tower.embedding}}
            - {name: popular, model: popular, inputs: {user_id: input.user_id}}
            - {name: candidates, merge: {concat: [retrieval.items, popular.items], axis: 1, output: candidates}}
            - {name: ranker, model: ranker, inputs: {user_id: input.user_id, embedding: user_tower.embedding, candidates: candidates.candidates}}
      """;

  final Process process;
  final String host;
  final int port;
  final int httpPort;
  final ManagedChannel channel;
  final Path log;

  private OrchestratorProcess(Process process, String host, int port, int httpPort, Path log) {
    this.process = process;
    this.host = host;
    this.port = port;
    this.httpPort = httpPort;
    this.log = log;
    this.channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
  }

  /** The demo model repository the Maven build made, or one built here if it is missing. */
  static synchronized Path repository() {
    String configured = System.getProperty("junction.test.repository");
    Path repo = Path.of(configured != null ? configured : "../models/target/model-repository").toAbsolutePath().normalize();
    if (Files.isRegularFile(repo.resolve("kit.yaml"))) {
      return repo;
    }
    Path built = Path.of("target", "test-model-repository").toAbsolutePath();
    if (!Files.isRegularFile(built.resolve("kit.yaml"))) {
      ModelKit.build(built, line -> System.out.println("[model kit] " + line));
    }
    return built;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the config (with {@code ${port}}, {@code ${http_port}}, {@code ${repository}} filled in) and starts serve. */
  static OrchestratorProcess start(String name, String configTemplate) throws IOException {
    return start(name, "127.0.0.1", freePort(), freePort(), configTemplate);
  }

  /**
   * As {@link #start(String, String)}, on the given ports of a loopback address of the test's
   * choice ({@code ${host}} in the template): to run several orchestrators on one port, each
   * on its own address, or to start one again where it was.
   */
  static OrchestratorProcess start(String name, String host, int port, int httpPort, String configTemplate)
      throws IOException {
    return start(name, host, port, httpPort, configTemplate, List.of());
  }

  /** As {@link #start(String, String, int, int, String)}, with options for the orchestrator's JVM. */
  static OrchestratorProcess start(String name, String host, int port, int httpPort, String configTemplate,
      List<String> jvmOptions) throws IOException {
    Files.createDirectories(LOGS);
    Path config = LOGS.resolve(name + ".yaml");
    Files.writeString(config, configTemplate
        .replace("${host}", host)
        .replace("${port}", Integer.toString(port))
        .replace("${http_port}", Integer.toString(httpPort))
        .replace("${repository}", repository().toString()));
    return launch(name, host, port, httpPort, jvmOptions, List.of("--config", config.toString()));
  }

  /** Starts `serve` without a config, that is the demo exactly as `bin/demo` serves it, on free ports. */
  static OrchestratorProcess startDemo(String name) throws IOException {
    int port = freePort();
    int httpPort = freePort();
    return launch(name, "127.0.0.1", port, httpPort, List.of(), List.of("--repository", repository().toString(),
        "--port", Integer.toString(port), "--http-port", Integer.toString(httpPort)));
  }

  private static OrchestratorProcess launch(String name, String host, int port, int httpPort, List<String> jvmOptions,
      List<String> serveArgs) throws IOException {
    Files.createDirectories(LOGS);
    Path log = LOGS.resolve(name + ".log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true",
        "-Dai.djl.offline=true"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.junction.orchestrator.cli.JunctionCli",
        "serve"));
    command.addAll(serveArgs);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return new OrchestratorProcess(pb.start(), host, port, httpPort, log);
  }

  AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  /** Runs a pipeline through PipelineService.Run, the inputs as raw contents, within 30 s. */
  RunPipelineResponse runPipeline(String pipeline, Tensor... inputs) {
    return runPipeline(pipeline, Duration.ofSeconds(30), inputs);
  }

  /** Runs a pipeline through PipelineService.Run, the inputs as raw contents, within {@code deadline}. */
  RunPipelineResponse runPipeline(String pipeline, Duration deadline, Tensor... inputs) {
    RunPipelineRequest.Builder b = RunPipelineRequest.newBuilder().setPipeline(pipeline);
    for (Tensor t : inputs) {
      b.addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data());
    }
    return PipelineServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .run(b.build());
  }

  /** Polls ListPools until {@code condition} holds; fails with the last answer and the log. */
  ListPoolsResponse awaitPools(Predicate<ListPoolsResponse> condition, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    ListPoolsResponse last = null;
    Exception lastError = null;
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new AssertionError("orchestrator exited with " + process.exitValue() + ":\n" + tail());
      }
      try {
        last = admin().listPools(ListPoolsRequest.getDefaultInstance());
        if (condition.test(last)) {
          return last;
        }
      } catch (RuntimeException e) {
        lastError = e;
        // The server listens only once its pools are ready. Until then each refused connect
        // stretches the channel's reconnect backoff (1 s, x1.6 per attempt, up to 120 s), and a
        // call fails at once while it runs: a server that took 28 s to listen was seen 15 s
        // later. Dial again at this loop's pace instead.
        channel.resetConnectBackoff();
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out after " + timeout + "; last pools: " + last + "; last error: " + lastError
        + "\nlog:\n" + tail());
  }

  /**
   * Sets the fault switch of a worker started with fault injection allowed, dialed directly on
   * its TCP port (a replica's {@code endpoint}).
   */
  static InjectFaultResponse injectFault(String endpoint, InjectFaultRequest.Fault fault) {
    ManagedChannel c = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
    try {
      return WorkerControlGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS)
          .injectFault(InjectFaultRequest.newBuilder().setFault(fault).build());
    } finally {
      c.shutdownNow();
    }
  }

  static boolean allReady(ListPoolsResponse r) {
    return !r.getPoolsList().isEmpty() && r.getPoolsList().stream()
        .allMatch(p -> !p.getReplicasList().isEmpty()
            && p.getReplicasList().stream().allMatch(x -> x.getState().equals("READY")));
  }

  static List<Long> workerPids(ListPoolsResponse r) {
    List<Long> pids = new ArrayList<>();
    for (PoolInfo p : r.getPoolsList()) {
      for (ReplicaInfo x : p.getReplicasList()) {
        if (x.getPid() > 0) {
          pids.add(x.getPid());
        }
      }
    }
    return pids;
  }

  /** Waits until none of the pids is alive; fails naming the survivors. */
  static void assertAllExit(List<Long> pids, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    List<Long> alive = pids;
    while (System.nanoTime() < end) {
      alive = pids.stream().filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)).toList();
      if (alive.isEmpty()) {
        return;
      }
      Thread.sleep(200);
    }
    assertThat(alive).as("worker processes still running after " + timeout).isEmpty();
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
