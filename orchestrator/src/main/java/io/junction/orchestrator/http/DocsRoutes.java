package io.junction.orchestrator.http;

import io.junction.http.HttpCall;
import io.junction.http.Routes;
import io.junction.orchestrator.http.openapi.OpenApiDocument;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code GET /openapi.json}, the document of the HTTP routes ({@link OpenApiDocument}), and
 * {@code GET /docs}, a page that renders it with Swagger UI. Every file the page loads is served
 * here from the classpath (Swagger UI's from its webjar), so it works with no network beyond
 * the orchestrator: no CDN. Only the files named here are served, nothing else of the classpath.
 */
final class DocsRoutes {
  private static final String PAGE = "/io/junction/orchestrator/http/docs/";
  private static final String SWAGGER_UI = "/META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/";
  /** The files under /docs/: our page's script, and Swagger UI's files it loads. */
  private static final Map<String, String> FILES = Map.of(
      "init.js", PAGE + "init.js",
      "swagger-ui.css", SWAGGER_UI + "swagger-ui.css",
      "swagger-ui-bundle.js", SWAGGER_UI + "swagger-ui-bundle.js",
      "favicon-32x32.png", SWAGGER_UI + "favicon-32x32.png");

  /** Answers {@code path} (split at '/'); false when no route matches. */
  boolean serve(HttpCall call, List<String> path) throws IOException {
    if (path.equals(List.of("openapi.json"))) {
      Routes.require(call, "GET");
      call.send(200, HttpCall.JSON, OpenApiDocument.bytes());
    } else if (path.equals(List.of("docs"))) {
      Routes.require(call, "GET");
      call.send(200, "text/html; charset=utf-8", resource(PAGE + "index.html"));
    } else if (path.size() == 2 && path.get(0).equals("docs") && FILES.containsKey(path.get(1))) {
      Routes.require(call, "GET");
      call.send(200, contentType(path.get(1)), resource(FILES.get(path.get(1))));
    } else {
      return false;
    }
    return true;
  }

  private static String contentType(String file) {
    return file.endsWith(".js") ? "text/javascript; charset=utf-8"
        : file.endsWith(".css") ? "text/css; charset=utf-8" : "image/png";
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = DocsRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the classpath (the orchestrator's jar packages it)");
      }
      return in.readAllBytes();
    }
  }

  /** The webjar's version, from its Maven properties: the path of its files has it. */
  private static String swaggerUiVersion() {
    String name = "/META-INF/maven/org.webjars/swagger-ui/pom.properties";
    try (InputStream in = DocsRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the classpath (the org.webjars:swagger-ui dependency)");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
