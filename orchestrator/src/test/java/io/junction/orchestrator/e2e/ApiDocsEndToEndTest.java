package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /openapi.json} and {@code /docs} on a live orchestrator (the demo, as `junction serve`
 * runs it): the document validated by openapi-spec-validator, each of its routes answered by
 * the server's router, and the docs page rendered by a real headless Chromium, which must list
 * every typed RPC the HTTP side serves. On the fork's {@link SharedDemo}.
 */
@ExtendWith(SharedDemo.class)
class ApiDocsEndToEndTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** The typed RPCs the HTTP side serves (docs/http.md's table), as the docs page names them. */
  private static final List<String> TYPED_RPCS = List.of("junction.v1.ConversationService/Converse",
      "junction.v1.ConversationService/ConverseStream", "junction.v1.RecommendationService/Recommend",
      "junction.v1.PipelineService/Run");
  private static OrchestratorProcess orchestrator;
  private static HttpClient http;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void openApiJsonValidatesAsOpenApi3() throws Exception {
    JsonObject summary = TestPython.summaryOf("openapi_spec.py", "openapi-spec", Duration.ofSeconds(120),
        url("/openapi.json"));
    assertThat(summary.get("valid").getAsBoolean()).isTrue();
    assertThat(summary.get("openapi").getAsString()).startsWith("3.");
    assertThat(summary.get("content_type").getAsString()).startsWith("application/json");
    assertThat(summary.get("paths").toString()).contains("/v1/recommend", "/v2/models/{name}/infer");
  }

  @Test
  void everyDocumentedRouteIsServed() throws Exception {
    JsonObject paths = JsonParser.parseString(get("/openapi.json").body()).getAsJsonObject().getAsJsonObject("paths");
    assertThat(paths.size()).isGreaterThanOrEqualTo(13);
    for (Map.Entry<String, com.google.gson.JsonElement> path : paths.entrySet()) {
      String concrete = path.getKey().replace("{name}", "recommend").replace("{version}", "1");
      for (String method : path.getValue().getAsJsonObject().keySet()) {
        // a body with a field no message has: refused by the route (400) before any model runs
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(concrete))).timeout(TIMEOUT);
        HttpResponse<String> r = http.send(method.equals("post")
                ? b.POST(HttpRequest.BodyPublishers.ofString("{\"notAField\": 1}")).build() : b.GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode() == 404 && r.body().contains("\"path: "))
            .as("%s %s is routed (answered %d: %s)", method, concrete, r.statusCode(), r.body()).isFalse();
        assertThat(r.statusCode()).as("%s %s: %s", method, concrete, r.body()).isNotEqualTo(405);
        if (method.equals("post")) {
          assertThat(r.statusCode()).as("%s %s: %s", method, concrete, r.body()).isEqualTo(400);
        }
      }
    }
  }

  @Test
  void docsRenderInHeadlessChromiumAndListEveryTypedRpc() throws Exception {
    HttpResponse<String> page = get("/docs");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).doesNotContain("https://", "http://"); // every file it loads is the orchestrator's
    assertThat(get("/docs/swagger-ui-bundle.js").statusCode()).isEqualTo(200);
    assertThat(get("/docs/index.css").statusCode()).isEqualTo(404); // only the files the page needs

    Path screenshot = Path.of("target", "e2e-logs", "docs.png");
    HeadlessChromium.Page rendered = HeadlessChromium.load(url("/docs"), screenshot, Duration.ofSeconds(20),
        Duration.ofSeconds(120));
    // Swagger UI drew the operations from /openapi.json: the page as served names none of them
    for (String rpc : TYPED_RPCS) {
      assertThat(page.body()).doesNotContain(rpc);
      assertThat(rendered.dom()).as("the rendered /docs (target/e2e-logs/chromium-dom.html)").contains(rpc);
    }
    assertThat(rendered.dom()).contains("/v1/pipelines/{name}:run", "/v2/models/{name}/infer", "Junction HTTP/JSON API");

    byte[] png = Files.readAllBytes(screenshot);
    assertThat(png).startsWith(0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
    BufferedImage image = ImageIO.read(screenshot.toFile());
    assertThat(image.getWidth()).isGreaterThanOrEqualTo(800);
    assertThat(image.getHeight()).isGreaterThanOrEqualTo(600);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 4) {
      for (int x = 0; x < image.getWidth(); x += 4) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours).as("distinct colours in the screenshot (a blank page has one)").hasSizeGreaterThan(20);
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + orchestrator.httpPort + path;
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
