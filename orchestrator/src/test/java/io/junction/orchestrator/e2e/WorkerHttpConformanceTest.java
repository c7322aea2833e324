package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Open Inference Protocol's REST form on a worker's own HTTP port: a worker started by hand
 * with {@code --http-port 0} (as {@code bin/junction-worker} starts one), serving user_tower and
 * featurizer, checked with Triton's {@code tritonclient.http} against tritonclient.grpc on the
 * same worker ({@code tritonclient_http.py worker}) and with plain HTTP for what the client does
 * not show (status, body and the deadline header). One worker for the class.
 */
class WorkerHttpConformanceTest {
  private static final String READY = "JUNCTION_WORKER_READY ";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static Process worker;
  private static int grpcPort;
  private static int httpPort;
  private static HttpClient http;

  @BeforeAll
  static void startWorker() throws Exception {
    worker = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"),
        "io.junction.workers.cli.WorkerMain",
        "--repository", OrchestratorProcess.repository().toString(),
        "--models", "user_tower,featurizer", "--port", "0", "--http-port", "0", "--exit-with-stdin")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    JsonObject ready = readyLine(worker);
    grpcPort = ready.get("port").getAsInt();
    assertThat(ready.has("http_port")).as("READY %s reports the HTTP port", ready).isTrue();
    httpPort = ready.get("http_port").getAsInt();
    assertThat(httpPort).isPositive().isNotEqualTo(grpcPort);
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stopWorker() throws Exception {
    if (worker != null) {
      worker.getOutputStream().close(); // --exit-with-stdin: the worker goes when its stdin closes
      if (!worker.waitFor(20, TimeUnit.SECONDS)) {
        worker.destroyForcibly();
      }
    }
  }

  @Test
  void tritonclientHttpConformsOnAWorker() throws Exception {
    JsonObject summary = TestPython.summaryOf("tritonclient_http.py", "tritonclient_http-worker",
        Duration.ofSeconds(180), "127.0.0.1:" + httpPort, "127.0.0.1:" + grpcPort, "worker");
    assertThat(summary.get("role").getAsString()).isEqualTo("worker");
    JsonArray binary = summary.getAsJsonArray("embedding_binary");
    assertThat(binary).hasSize(32).isEqualTo(summary.getAsJsonArray("embedding_json"));
    assertThat(summary.get("wrong_dtype").getAsString()).contains("user_id");
  }

  @Test
  void errorsComeBackWithTheMappedHttpStatusAndAJsonMessage() throws Exception {
    assertError(post("/v2/models/no_such_model/infer", "{\"inputs\": []}", null), 404, "no_such_model");
    assertError(post("/v2/models/user_tower/infer", "{\"inputs\": [{\"name\": \"user_id\", \"datatype\": \"INT64\","
        + " \"shape\": [1], \"data\": [1000000]}]}", null), 400, "user_id");
    assertError(post("/v2/models/user_tower/infer", "{\"inputs\": [{\"name\": \"user_id\", \"datatype\": \"INT64\","
        + " \"shape\": [1], \"data\": [\"x\"]}]}", null), 400, "inputs[0].data[0]: \"x\" (expected: a number for INT64)");
    assertError(post("/v2/models/user_tower/infer", "{\"inputs\": []}", "soon"), 400, "Grpc-Timeout: \"soon\"");
    assertError(http.send(HttpRequest.newBuilder(uri("/v1/recommend")).timeout(TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString()), 404, "path: /v1/recommend");
  }

  @Test
  void inferenceWithAGenerousGrpcTimeoutAnswers() throws Exception {
    HttpResponse<String> r = post("/v2/models/user_tower/infer", "{\"inputs\": [{\"name\": \"user_id\","
        + " \"datatype\": \"INT64\", \"shape\": [2], \"data\": [3, 4]}]}", "60S");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject out = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("outputs").get(0)
        .getAsJsonObject();
    assertThat(out.get("name").getAsString()).isEqualTo("embedding");
    assertThat(out.getAsJsonArray("data")).hasSize(64);
  }

  private static HttpResponse<String> post(String path, String body, String grpcTimeout) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (grpcTimeout != null) {
      b.header("Grpc-Timeout", grpcTimeout);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  private static void assertError(HttpResponse<String> r, int status, String message) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString()).contains(message);
  }

  private static JsonObject readyLine(Process worker) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String line;
    while (System.nanoTime() < end && (line = out.readLine()) != null) {
      if (line.startsWith(READY)) {
        return JsonParser.parseString(line.substring(READY.length())).getAsJsonObject();
      }
    }
    throw new AssertionError("the worker did not announce READY (exit: "
        + (worker.isAlive() ? "running" : worker.exitValue()) + ")");
  }
}
