package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ReplicaInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * Junction's image (built from this build by the module's pre-integration-test, tag in
 * {@code junction.it.image}) run for real: one worker container serving the demo's eight models
 * with the TensorFlow library the image carries, (a) behind an orchestrator container on one
 * docker network, and (b) as a static pool member of an orchestrator on the host, reached
 * through its published port on 127.0.0.1. Both must answer Converse and Recommend exactly as the
 * host's own demo (bin/demo's config, local workers) does. A volume mounted over the image's model
 * repository replaces it. Ryuk is off (it would be pulled from
 * Docker Hub), so the class removes its containers and network itself.
 */
class ContainersIT {
  private static final String IMAGE = System.getProperty("junction.it.image", "junction.local/junction:it");
  private static final List<String> MODELS = List.of("featurizer", "intent", "session_intent", "responder",
      "user_tower", "retrieval", "popular", "ranker");
  /** Each a fresh conversation (a session of its own), greedy and sampled, and some users. */
  private static final List<ConverseRequest> TURNS = List.of(
      ConverseRequest.newBuilder().setText("I want to book a flight to Paris").setSessionId("it-1").build(),
      ConverseRequest.newBuilder().setText("what is the weather like tomorrow").setSessionId("it-2").build(),
      ConverseRequest.newBuilder().setText("book a table for two tonight").setSessionId("it-3")
          .setTemperature(0.8f).setTopK(20).setSeed(7).build());
  private static final List<Long> USERS = List.of(1L, 42L, 1999L);

  private static List<ConverseResponse> referenceTurns;
  private static List<RecommendResponse> referenceRecommendations;
  private static Network network;
  private static GenericContainer<?> worker;

  @BeforeAll
  static void start() throws Exception {
    // the reference: the demo on the host, as bin/demo serves it
    try (OrchestratorProcess demo = OrchestratorProcess.startDemo("containers-reference-demo")) {
      demo.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
      referenceTurns = converse(demo.channel);
      referenceRecommendations = recommend(demo.channel);
    }
    network = Network.newNetwork();
    worker = new GenericContainer<>(DockerImageName.parse(IMAGE))
        .withNetwork(network)
        .withNetworkAliases("worker")
        .withCommand("junction-worker", "--repository", "/opt/junction/model-repository",
            "--models", String.join(",", MODELS), "--host", "0.0.0.0", "--port", "50051", "--device", "cpu")
        .withExposedPorts(50051)
        .waitingFor(Wait.forLogMessage(".*JUNCTION_WORKER_READY.*\\n", 1).withStartupTimeout(Duration.ofMinutes(3)));
    worker.start();
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.stop();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  void workerRunsAsUid10001WithTheImagesTensorFlowAndTheDemoRepository() throws Exception {
    assertThat(worker.execInContainer("id", "-u").getStdout().strip()).isEqualTo("10001");
    String logs = worker.getLogs();
    assertThat(logs).contains("TensorFlow 2.10.1 on cpu");
    // TensorFlowNatives extracts the library only when TENSORFLOW_LIBRARY_PATH is not set
    assertThat(logs).doesNotContain("Extracting the TensorFlow");
    assertThat(worker.execInContainer("printenv", "TENSORFLOW_LIBRARY_PATH").getStdout().strip())
        .isEqualTo("/opt/junction/tensorflow");
  }

  @Test
  void orchestratorContainerServesTheDemoThroughTheWorkerContainer() throws Exception {
    String config = "server: {host: 0.0.0.0, port: 8500, http_port: 8501}\n"
        + "pools:\n  - {name: workers, kind: static, models: [" + String.join(", ", MODELS)
        + "], endpoints: [\"worker:50051\"]}\n" + demoPipelines();
    try (GenericContainer<?> orchestrator = new GenericContainer<>(DockerImageName.parse(IMAGE))
        .withNetwork(network)
        .withCopyToContainer(Transferable.of(config), "/tmp/junction.yaml")
        .withCommand("junction", "serve", "--config", "/tmp/junction.yaml")
        .withExposedPorts(8500, 8501)
        .waitingFor(Wait.forHttp("/readyz").forPort(8501).withStartupTimeout(Duration.ofMinutes(3)))) {
      orchestrator.start();
      ManagedChannel channel = NettyChannelBuilder
          .forAddress("127.0.0.1", orchestrator.getMappedPort(8500)).usePlaintext().build();
      try {
        assertThat(converse(channel)).isEqualTo(referenceTurns);
        assertThat(recommend(channel)).isEqualTo(referenceRecommendations);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void workerContainerIsAStaticPoolMemberOfAnOrchestratorOnTheHost() throws Exception {
    String endpoint = "127.0.0.1:" + worker.getMappedPort(50051);
    String config = "server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}\n"
        + "pools:\n  - {name: workers, kind: static, models: [" + String.join(", ", MODELS)
        + "], endpoints: [\"" + endpoint + "\"]}\n" + demoPipelines();
    try (OrchestratorProcess orchestrator = OrchestratorProcess.start("containers-static-member", config)) {
      ListPoolsResponse pools = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(120));
      ReplicaInfo member = pools.getPools(0).getReplicas(0);
      assertThat(member.getEndpoint()).isEqualTo(endpoint);
      assertThat(member.getPid()).as("the worker is the container's first process").isEqualTo(1);
      assertThat(converse(orchestrator.channel)).isEqualTo(referenceTurns);
      assertThat(recommend(orchestrator.channel)).isEqualTo(referenceRecommendations);
    }
  }

  @Test
  void aMountedRepositoryReplacesTheImagesOwn() throws Exception {
    // a repository of one model, as a volume over the image's (created world-readable: the worker is uid 10001)
    Path mounted = Path.of("target", "mounted-repository").toAbsolutePath();
    copyTree(OrchestratorProcess.repository().resolve("user_tower"), mounted.resolve("user_tower"));
    try (GenericContainer<?> other = new GenericContainer<>(DockerImageName.parse(IMAGE))
        // a bind mount set on the container itself: Testcontainers' withFileSystemBind first checks
        // that mounts work by running alpine, which it would pull from Docker Hub
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(
            new Bind(mounted.toString(), new Volume("/opt/junction/model-repository"), AccessMode.ro)))
        .withCommand("junction-worker", "--repository", "/opt/junction/model-repository", "--models", "user_tower",
            "--host", "0.0.0.0", "--port", "50051")
        .waitingFor(Wait.forLogMessage(".*JUNCTION_WORKER_READY.*\\n", 1).withStartupTimeout(Duration.ofMinutes(3)))) {
      other.start();
      assertThat(other.execInContainer("ls", "/opt/junction/model-repository").getStdout().strip())
          .isEqualTo("user_tower");
      assertThat(other.getLogs()).contains("Loaded user_tower");
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** The demo's pipelines (demo.yaml from {@code pipelines:} on), so that these tests serve the same ones. */
  private static String demoPipelines() throws IOException {
    try (InputStream in = ContainersIT.class.getResourceAsStream("/io/junction/orchestrator/config/demo.yaml")) {
      assertThat(in).as("demo.yaml on the class path").isNotNull();
      String demo = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int at = demo.indexOf("\npipelines:");
      assertThat(at).as("demo.yaml has pipelines").isPositive();
      return demo.substring(at + 1);
    }
  }

  /** The turns' answers, without what differs between runs (timings). */
  private static List<ConverseResponse> converse(ManagedChannel channel) {
    List<ConverseResponse> answers = new ArrayList<>();
    for (ConverseRequest turn : TURNS) {
      ConverseResponse r = ConversationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .converse(turn);
      assertThat(r.getTokensList()).as("a reply to %s", turn.getText()).isNotEmpty();
      answers.add(r.toBuilder().clearLatencyMicros().clearFirstTokenMicros().clearTotalMicros().build());
    }
    return answers;
  }

  private static List<RecommendResponse> recommend(ManagedChannel channel) {
    List<RecommendResponse> answers = new ArrayList<>();
    for (long user : USERS) {
      RecommendResponse r = RecommendationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .recommend(RecommendRequest.newBuilder().setUserId(user).setK(10).build());
      assertThat(r.getItemsList()).as("items for user %d", user).hasSize(10);
      answers.add(r.toBuilder().clearLatencyMicros().build());
    }
    return answers;
  }
}
