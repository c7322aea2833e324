package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.ScoredItem;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * HTTP/JSON on the demo's HTTP port as users call it: `junction serve` with no config, real
 * workers, plain HTTP/1.1 from the JDK's client (what curl sends) and Triton's own
 * {@code tritonclient.http}. Each answer is compared with the gRPC call's. On the fork's
 * {@link SharedDemo}.
 */
@ExtendWith(SharedDemo.class)
class HttpJsonEndToEndTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String TEXT = "I want to book a flight to Paris";
  private static OrchestratorProcess orchestrator;
  private static HttpClient http;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void recommendAndTheRecommendPipelineOverHttpGiveTheItemsOfTheGrpcCall() throws Exception {
    List<Long> grpc = RecommendationServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .recommend(RecommendRequest.newBuilder().setUserId(42).setK(10).build())
        .getItemsList().stream().map(ScoredItem::getItemId).toList();
    assertThat(grpc).hasSize(10);

    HttpResponse<String> typed = post("/v1/recommend", "{\"userId\": 42, \"k\": 10}");
    assertThat(typed.statusCode()).as(typed.body()).isEqualTo(200);
    List<Long> items = new ArrayList<>();
    for (JsonElement e : json(typed).getAsJsonArray("items")) {
      items.add(e.getAsJsonObject().get("itemId").getAsLong()); // int64 is a string in the JSON mapping
    }
    assertThat(items).isEqualTo(grpc);

    HttpResponse<String> v2 = post("/v2/models/recommend/infer",
        "{\"id\": \"r1\", \"inputs\": [{\"name\": \"user_id\", \"datatype\": \"INT64\", \"shape\": [1], \"data\": [42]}],"
            + " \"outputs\": [{\"name\": \"items\"}]}");
    assertThat(v2.statusCode()).as(v2.body()).isEqualTo(200);
    JsonObject answer = json(v2);
    assertThat(answer.get("id").getAsString()).isEqualTo("r1");
    JsonObject out = answer.getAsJsonArray("outputs").get(0).getAsJsonObject();
    assertThat(out.get("name").getAsString()).isEqualTo("items");
    // the ranker's order, best first: the typed service takes its first k
    assertThat(longs(out.getAsJsonArray("data")).subList(0, 10)).isEqualTo(grpc);
  }

  /**
   * The curl commands docs/http.md gives for /v1/recommend and /v2/models/recommend/infer, run
   * with curl itself (addressed to this test's HTTP port), answer the items of the gRPC call.
   */
  @Test
  void theDocsCurlCommandsGiveTheItemsOfTheGrpcCall() throws Exception {
    List<Long> grpc = RecommendationServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .recommend(RecommendRequest.newBuilder().setUserId(42).setK(5).build())
        .getItemsList().stream().map(ScoredItem::getItemId).toList();
    assertThat(grpc).hasSize(5);

    JsonObject typed = JsonParser.parseString(curl(docsCommand("curl -s localhost:8501/v1/recommend "))).getAsJsonObject();
    List<Long> items = new ArrayList<>();
    for (JsonElement e : typed.getAsJsonArray("items")) {
      items.add(e.getAsJsonObject().get("itemId").getAsLong());
    }
    assertThat(items).as("docs/http.md asks for user 42, k 5").isEqualTo(grpc);

    JsonObject v2 = JsonParser.parseString(curl(docsCommand("curl -s localhost:8501/v2/models/recommend/infer ")))
        .getAsJsonObject();
    JsonObject out = null;
    for (JsonElement o : v2.getAsJsonArray("outputs")) {
      if (o.getAsJsonObject().get("name").getAsString().equals("items")) {
        out = o.getAsJsonObject();
      }
    }
    assertThat(out).as(v2.toString()).isNotNull();
    assertThat(longs(out.getAsJsonArray("data")).subList(0, 5)).isEqualTo(grpc);
  }

  /** The command of docs/http.md's code that starts with {@code start}, continuation lines joined. */
  private static String docsCommand(String start) throws Exception {
    List<String> lines = Files.readAllLines(Path.of("..", "docs", "http.md"));
    List<String> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(start)) {
        StringBuilder command = new StringBuilder(lines.get(i));
        while (command.toString().endsWith("\\") && i + 1 < lines.size()) {
          command.setLength(command.length() - 1);
          command.append(' ').append(lines.get(++i).trim());
        }
        found.add(command.toString());
      }
    }
    assertThat(found).as("docs/http.md commands starting with %s", start).hasSize(1);
    return found.get(0);
  }

  /** Runs a curl command line of the docs in bash, addressed to this test's HTTP port; its output. */
  private static String curl(String command) throws Exception {
    String addressed = command.replace("localhost:8501", "127.0.0.1:" + orchestrator.httpPort);
    assertThat(addressed).as("a docs command addressed to localhost:8501").isNotEqualTo(command);
    Process p = new ProcessBuilder("bash", "-c", addressed + " --max-time 30").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("curl ends").isTrue();
    assertThat(p.exitValue()).as("curl: %s\n%s", addressed, out).isZero();
    return out;
  }

  @Test
  void aPipelineRunOverHttpAnswersAsPipelineServiceRun() throws Exception {
    RunPipelineResponse grpc = orchestrator.runPipeline("recommend", Tensor.ofLongs("user_id", new long[] {1}, 7));
    List<Long> expected = toList(TensorCodec.fromOutputs(grpc.getOutputsList(), List.of()).stream()
        .filter(t -> t.name().equals("items")).findFirst().orElseThrow().longs());
    HttpResponse<String> r = post("/v1/pipelines/recommend:run",
        "{\"inputs\": [{\"name\": \"user_id\", \"datatype\": \"INT64\", \"shape\": [1], \"contents\": {\"int64Contents\": [7]}}]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<Long> items = new ArrayList<>();
    for (JsonElement o : json(r).getAsJsonArray("outputs")) {
      if (o.getAsJsonObject().get("name").getAsString().equals("items")) {
        items = longs(o.getAsJsonObject().getAsJsonObject("contents").getAsJsonArray("int64Contents"));
      }
    }
    assertThat(items).isNotEmpty().isEqualTo(expected);
  }

  @Test
  void converseStreamAsServerSentEventsYieldsTheTokensOfTheGrpcStream() throws Exception {
    List<String> grpc = new ArrayList<>();
    Iterator<ConverseEvent> events = ConversationServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS).converseStream(ConverseRequest.newBuilder().setText(TEXT).build());
    events.forEachRemaining(e -> {
      if (e.hasToken()) {
        grpc.add(e.getToken());
      }
    });
    assertThat(grpc).isNotEmpty();

    HttpResponse<String> r = post("/v1/converse:stream", "{\"text\": \"" + TEXT + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    List<String> tokens = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("data: ")) {
        JsonObject event = JsonParser.parseString(line.substring("data: ".length())).getAsJsonObject();
        kinds.add(event.keySet().iterator().next());
        if (event.has("token")) {
          tokens.add(event.get("token").getAsString());
        }
      }
    }
    assertThat(tokens).isEqualTo(grpc);
    assertThat(kinds.get(0)).isEqualTo("intent");
    assertThat(kinds.get(kinds.size() - 1)).isEqualTo("done");
  }

  @Test
  void errorsComeBackWithTheMappedHttpStatusAndAJsonMessage() throws Exception {
    assertError(post("/v1/recommend", "{\"userId\": -1}"), 400, "user_id: -1 (expected: >= 0)");
    assertError(post("/v1/recommend", "{\"userId\": "), 400, "malformed JSON");
    assertError(post("/v1/recommend", "{\"user\": 3}"), 400, "malformed JSON");
    assertError(post("/v1/converse", "{\"text\": \"\"}"), 400, "text");
    // a stream that fails before its first event is a plain HTTP error, not an event stream
    assertError(post("/v1/converse:stream", "{\"text\": \"\"}"), 400, "text");
    assertError(post("/v2/models/no_such_model/infer", "{\"inputs\": []}"), 404, "no_such_model");
    assertError(post("/v2/models/recommend/infer", "{\"inputs\": [{\"name\": \"user_id\", \"datatype\": \"INT64\","
        + " \"shape\": [2], \"data\": [1]}]}"), 400, "user_id");
    assertError(post("/v2/models/recommend/infer", "{\"inputs\": [{\"name\": \"user_id\", \"datatype\": \"INT64\","
        + " \"shape\": [1], \"data\": [\"x\"]}]}"), 400, "inputs[0].data[0]: \"x\" (expected: a number for INT64)");
    assertError(post("/v2/models/recommend/versions/3/infer", "{\"inputs\": []}"), 400, "model_version");
    assertError(post("/v1/pipelines/no_such_pipeline:run", "{}"), 404, "no_such_pipeline");
    assertError(send(HttpRequest.newBuilder(uri("/v1/recommend")).header("junction-priority", "urgent")
        .POST(HttpRequest.BodyPublishers.ofString("{\"userId\": 1}"))), 400, "junction-priority");
    assertError(send(HttpRequest.newBuilder(uri("/v1/recommend")).GET()), 405, "method: GET");
    assertError(send(HttpRequest.newBuilder(uri("/v2/nothing/here")).GET()), 404, "path: /v2/nothing/here");
    // larger than limits.max_message_bytes (16 MiB in the demo): refused, and still answered to the client
    assertError(post("/v1/converse", "{\"text\": \"" + "a".repeat(17 * 1024 * 1024) + "\"}"), 413, "max_message_bytes");
  }

  /**
   * The caller's deadline over HTTP: the Grpc-Timeout header on /v1 and /v2, Triton's timeout
   * parameter (microseconds) on /v2 infer. A millisecond is far too short for the chat pipeline
   * (featurizer, intent, a generation loop), a minute is generous.
   */
  @Test
  void aDeadlineTooShortForChatIs504AndAGenerousOneAnswers() throws Exception {
    String converse = "{\"text\": \"" + TEXT + "\"}";
    assertDeadlineExceeded(send(json("/v1/converse", converse).header("Grpc-Timeout", "1m")));
    HttpResponse<String> generous = send(json("/v1/converse", converse).header("Grpc-Timeout", "60S"));
    assertThat(generous.statusCode()).as(generous.body()).isEqualTo(200);
    assertThat(json(generous).get("reply").getAsString()).isNotEmpty();

    String infer = "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\""
        + TEXT + "\"]}], \"parameters\": {\"timeout\": %d}}";
    assertDeadlineExceeded(post("/v2/models/chat/infer", infer.formatted(1_000)));
    assertDeadlineExceeded(send(json("/v2/models/chat/infer", infer.formatted(0)).header("Grpc-Timeout", "1m")));
    HttpResponse<String> answered = post("/v2/models/chat/infer", infer.formatted(60_000_000));
    assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);

    assertError(send(json("/v1/recommend", "{\"userId\": 1}").header("Grpc-Timeout", "1.5S")), 400,
        "Grpc-Timeout: \"1.5S\" (expected: 1 to 8 digits and a unit");
    assertError(post("/v2/models/chat/infer", infer.formatted(-1)), 400, "parameters.timeout: -1");
  }

  private static void assertDeadlineExceeded(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString()).containsIgnoringCase("deadline");
  }

  @Test
  void healthAndMetadataRoutesAnswerAsTheGrpcService() throws Exception {
    assertThat(send(HttpRequest.newBuilder(uri("/v2/health/live")).GET()).statusCode()).isEqualTo(200);
    assertThat(json(send(HttpRequest.newBuilder(uri("/v2/health/ready")).GET())).get("ready").getAsBoolean()).isTrue();
    assertThat(send(HttpRequest.newBuilder(uri("/v2/models/user_tower/ready")).GET()).statusCode()).isEqualTo(200);
    JsonObject meta = json(send(HttpRequest.newBuilder(uri("/v2/models/recommend")).GET()));
    assertThat(meta.get("platform").getAsString()).isEqualTo("ensemble");
    assertThat(meta.getAsJsonArray("inputs").get(0).getAsJsonObject().get("name").getAsString()).isEqualTo("user_id");
    assertThat(json(send(HttpRequest.newBuilder(uri("/v2")).GET())).get("name").getAsString()).isEqualTo("junction");
  }

  /**
   * The HTTP half of the tritonclient conformance test: Triton's own HTTP client (binary data,
   * JSON, metadata, errors) against the orchestrator, checked against tritonclient.grpc.
   */
  @Test
  void tritonclientHttpConformsForModelsAndPipelines() throws Exception {
    JsonObject summary = TestPython.summaryOf("tritonclient_http.py", "tritonclient_http", Duration.ofSeconds(180),
        "127.0.0.1:" + orchestrator.httpPort, "127.0.0.1:" + orchestrator.port);
    assertThat(longs(summary.getAsJsonArray("recommend_items_binary")))
        .isEqualTo(longs(summary.getAsJsonArray("recommend_items_json"))).hasSize(50);
  }

  private static void assertError(HttpResponse<String> r, int status, String message) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString()).contains(message);
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + orchestrator.httpPort + path);
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return send(json(path, body));
  }

  private static HttpRequest.Builder json(String path, String body) {
    return HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject json(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  private static List<Long> longs(JsonArray a) {
    List<Long> out = new ArrayList<>();
    a.forEach(e -> out.add(e.getAsLong()));
    return out;
  }

  private static List<Long> toList(long[] values) {
    List<Long> out = new ArrayList<>();
    for (long v : values) {
      out.add(v);
    }
    return out;
  }
}
