package io.junction.orchestrator.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.junction.orchestrator.admission.AdmissionSnapshot;
import io.junction.orchestrator.api.PoolReadiness;
import io.junction.orchestrator.http.HttpApi;
import io.junction.orchestrator.pool.Pools;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP port: {@code /healthz} (200 while the process serves), {@code /readyz} (200 when
 * every pool has a READY replica and the server is not draining, else 503), {@code /metrics},
 * and the HTTP/JSON routes of {@link HttpApi}, which run on threads of their own. The probes and
 * scrapes have one thread of their own with a bounded queue ({@link HttpExecutor}):
 * these are cheap in-memory reads, and keeping them off the gRPC event loops means a scrape
 * never delays a call; when more wait than the queue holds, the next are answered 503 at once.
 */
final class HttpEndpoints {
  private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);

  /** How long a scrape waits for the workers' stats: short, a live worker answers from memory. */
  static final Duration WORKER_STATS_TIMEOUT = Duration.ofMillis(500);

  private final HttpServer server;
  private final HttpExecutor executor;
  private final HttpApi api;

  HttpEndpoints(String host, int port, Pools pools, RequestMetrics metrics, Supplier<AdmissionSnapshot> admission,
      BooleanSupplier draining, HttpApi api) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 64);
    executor = new HttpExecutor(HttpExecutor.QUEUE);
    this.api = api;
    server.setExecutor(executor);
    // the API's routes hand each exchange to threads of their own at once: see HttpApi
    api.register(server);
    server.createContext("/healthz", ex -> answer(ex, 200, "text/plain; charset=utf-8", "ok\n"));
    server.createContext("/readyz", ex -> {
      boolean ready = !draining.getAsBoolean() && PoolReadiness.allReady(pools.snapshot());
      answer(ex, ready ? 200 : 503, "text/plain; charset=utf-8",
          ready ? "ready\n" : draining.getAsBoolean() ? "draining\n" : "not ready: a pool has no READY replica\n");
    });
    // The workers' stats are asked for on each scrape, from this endpoint's own thread: nothing
    // polls them in between, and a worker that does not answer in time is left out of this scrape.
    server.createContext("/metrics", ex -> {
      if (HttpExecutor.shedding()) {
        overloaded(ex); // before the work: a scrape asks every worker
        return;
      }
      answer(ex, 200, PrometheusText.CONTENT_TYPE,
          PrometheusText.render(pools.snapshot(), metrics, pools.workerStats(WORKER_STATS_TIMEOUT), admission.get()));
    });
  }

  void start() {
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  void stop() {
    server.stop(0);
    executor.shutdownNow();
    api.stop();
  }

  /** 503 without doing the work: more requests wait than the endpoints' queue holds. */
  private static void overloaded(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] bytes = ("overloaded: more than " + HttpExecutor.QUEUE + " HTTP requests waiting"
          + " (expected: fewer at once; retry later)\n").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      ex.getResponseHeaders().set("Retry-After", "1");
      ex.sendResponseHeaders(503, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static void answer(HttpExchange ex, int code, String contentType, String body) throws IOException {
    if (HttpExecutor.shedding()) {
      overloaded(ex);
      return;
    }
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        ex.sendResponseHeaders(405, -1);
        return;
      }
      if (!ex.getRequestURI().getPath().equals(ex.getHttpContext().getPath())) {
        // contexts match by prefix; /metricsfoo is not /metrics
        ex.sendResponseHeaders(404, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType);
      if ("HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(code, -1);
        return;
      }
      ex.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    } catch (RuntimeException e) {
      log.warn("HTTP {} failed", ex.getRequestURI(), e);
      throw e;
    }
  }
}
