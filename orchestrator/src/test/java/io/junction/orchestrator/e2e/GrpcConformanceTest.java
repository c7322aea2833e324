package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ScoredItem;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.WorkerControlGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Clients we did not write against the demo as `junction serve` runs it (real workers, real
 * models, real gRPC over loopback): grpcurl through server reflection, running the README's own
 * command lines, and Triton's Python client ({@code tritonclient_conformance.py}) against the
 * orchestrator and against one of its workers. On the fork's {@link SharedDemo}.
 */
@ExtendWith(SharedDemo.class)
class GrpcConformanceTest {
  private static final Path README = Path.of("..", "README.md");
  /** The address the README's commands name; the test's orchestrator has ports of its own. */
  private static final String README_ADDRESS = "127.0.0.1:8500";
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);
  private static final String INSTALL_TOOLS = "bin/install-proto-tools (bin/install-prerequisites, which bin/test "
      + "runs, calls it)";
  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
  }

  @Test
  void grpcurlListsEveryPublicServiceThroughReflection() throws Exception {
    String out = grpcurl(readmeCommand(" list"), "grpcurl-list");
    List<String> services = out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    assertThat(services).as(out).contains(
        AdminServiceGrpc.SERVICE_NAME,
        ConversationServiceGrpc.SERVICE_NAME,
        PipelineServiceGrpc.SERVICE_NAME,
        RecommendationServiceGrpc.SERVICE_NAME,
        GRPCInferenceServiceGrpc.SERVICE_NAME,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection");
    // the workers' own services are not the orchestrator's to offer
    assertThat(services).as(out).doesNotContain(WorkerControlGrpc.SERVICE_NAME, SegmentServiceGrpc.SERVICE_NAME);
  }

  @Test
  void theReadmesGrpcurlRecommendAnswersTheItemsOfTheGrpcCall() throws Exception {
    String command = readmeCommand("RecommendationService/Recommend");
    String out = grpcurl(command, "grpcurl-recommend");
    JsonObject answer = JsonParser.parseString(out).getAsJsonObject();
    JsonArray items = answer.getAsJsonArray("items");
    // what the command asks for, read from its JSON, so that the README can change its example
    JsonObject asked = JsonParser.parseString(command.substring(command.indexOf('{'), command.indexOf('}') + 1))
        .getAsJsonObject();
    List<ScoredItem> expected = RecommendationServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .recommend(RecommendRequest.newBuilder()
            .setUserId(asked.get("user_id").getAsLong()).setK(asked.get("k").getAsInt()).build())
        .getItemsList();
    assertThat(expected).hasSize(asked.get("k").getAsInt());
    List<Long> ids = new ArrayList<>();
    for (JsonElement item : items) {
      // grpcurl keeps the .proto's field names; the protobuf JSON mapping writes int64 as a string
      ids.add(Long.parseLong(item.getAsJsonObject().get("item_id").getAsString()));
    }
    assertThat(ids).as(out).isEqualTo(expected.stream().map(ScoredItem::getItemId).toList());
  }

  @Test
  void tritonclientConformsOnTheOrchestrator() throws Exception {
    JsonObject summary = tritonclient("127.0.0.1:" + orchestrator.port, "orchestrator");
    assertThat(summary.getAsJsonArray("recommend_items").size()).isGreaterThanOrEqualTo(10);
    assertThat(strings(summary.getAsJsonArray("errors"))).contains("unknown_infer", "unknown_ready",
        "wrong_shape", "wrong_datatype", "short_raw", "pipeline_wrong_datatype", "pipeline_wrong_shape");
  }

  @Test
  void tritonclientConformsOnAWorker() throws Exception {
    PoolInfo pool = orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()).getPoolsList().stream()
        .filter(p -> p.getModelsList().contains("user_tower")).findFirst().orElseThrow();
    // the worker's TCP port, which it serves beside the socket the orchestrator dials
    String endpoint = pool.getReplicas(0).getEndpoint();
    JsonObject summary = tritonclient(endpoint, "worker");
    assertThat(summary.get("role").getAsString()).isEqualTo("worker");
    assertThat(strings(summary.getAsJsonArray("errors"))).contains("unknown_infer", "unknown_metadata",
        "wrong_shape", "wrong_datatype", "out_of_range", "short_raw");
  }

  /**
   * The README line that starts with "grpcurl" and contains {@code part}, addressed to the test's
   * orchestrator instead of the demo's port.
   */
  private static String readmeCommand(String part) throws IOException {
    List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8).stream()
        .filter(l -> l.startsWith("grpcurl ") && l.contains(part)).toList();
    assertThat(lines).as("README lines starting with grpcurl and containing %s", part).hasSize(1);
    assertThat(lines.get(0)).contains(README_ADDRESS);
    return lines.get(0).replace(README_ADDRESS, "127.0.0.1:" + orchestrator.port);
  }

  /** Runs a grpcurl command line in bash with the pinned grpcurl first on PATH; its standard output. */
  private static String grpcurl(String command, String name) throws Exception {
    Process tools = new ProcessBuilder("../bin/install-proto-tools", "--bin-dir", "grpcurl").redirectErrorStream(true).start();
    String dir = new String(tools.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(tools.waitFor()).as("%s (install the tools with %s)", dir, INSTALL_TOOLS).isZero();
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", command);
    pb.environment().put("PATH", dir + ":" + System.getenv("PATH"));
    Run run = Run.of(pb, name);
    assertThat(run.exitCode).as("%s exited with %d; its output:\n%s", command, run.exitCode, run.output).isZero();
    return run.output;
  }

  /** Runs the conformance script against {@code address}; its summary line. */
  private static JsonObject tritonclient(String address, String role) throws Exception {
    return TestPython.summaryOf("tritonclient_conformance.py", "tritonclient-" + role, TOOL_TIMEOUT, address, role);
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.getAsString()));
    return out;
  }

  /**
   * A finished process: its exit code and its standard output, kept in target/e2e-logs/NAME.out;
   * its standard error, unless merged into the output, goes to NAME.err and is told on failure.
   */
  private record Run(int exitCode, String output) {
    static Run of(ProcessBuilder pb, String name) throws Exception {
      Path log = Path.of("target", "e2e-logs", name + ".out");
      Path err = Path.of("target", "e2e-logs", name + ".err");
      Files.createDirectories(log.getParent());
      Process p = pb.redirectOutput(log.toFile()).redirectError(err.toFile()).start();
      boolean exited = p.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (!exited) {
        p.destroyForcibly();
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      String errors = Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "";
      assertThat(exited).as("%s finished within %s; its output:\n%s%s", pb.command(), TOOL_TIMEOUT, output, errors)
          .isTrue();
      int code = p.exitValue();
      return new Run(code, code == 0 ? output : output + errors);
    }
  }
}
