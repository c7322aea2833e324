package io.junction.orchestrator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Channel;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/JSON on the HTTP port: the Open Inference Protocol's REST form under {@code /v2}, the
 * typed services under {@code /v1}, and their OpenAPI document and docs page ({@link DocsRoutes})
 * (docs/http.md). It is a translation layer only: every
 * request becomes a call of the orchestrator's own gRPC services over an in-process channel,
 * so that validation, admission, priorities, draining, metrics and the status of an error are
 * those of the gRPC side; {@link HttpStatuses} turns that status into the HTTP one.
 *
 * <p>Requests run on threads of their own, {@value #QUEUE} waiting at most; one that finds the
 * queue full is answered 503 at once by the thread that handed it over. A thread waits for its
 * call's answer, the event loops never do: they only complete the call's future. So the
 * threads bound how many HTTP calls run at once, and probes and scrapes, which keep their own
 * thread, are not held up behind inference.
 */
public final class HttpApi {
  /** Concurrent HTTP calls: each thread mostly waits on a future, so several per core. */
  public static final int THREADS = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
  /** HTTP calls that may wait for a thread; one more is answered 503. */
  public static final int QUEUE = 64;

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  private final InferenceRoutes v2;
  private final TypedRoutes v1;
  private final DocsRoutes docs = new DocsRoutes();
  private final int maxBodyBytes;
  private final int queue;
  private final ThreadPoolExecutor executor;

  /**
   * @param channel      reaches the orchestrator's gRPC services in process
   * @param maxBodyBytes the gRPC side's max_message_bytes, the bound of a request body here too
   */
  public HttpApi(Channel channel, int maxBodyBytes) {
    this(channel, maxBodyBytes, THREADS, QUEUE);
  }

  /** With other bounds: for tests. */
  HttpApi(Channel channel, int maxBodyBytes, int threads, int queue) {
    this.v2 = new InferenceRoutes(channel);
    this.v1 = new TypedRoutes(channel);
    this.maxBodyBytes = maxBodyBytes;
    AtomicInteger n = new AtomicInteger();
    this.queue = queue;
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
        r -> {
          Thread t = new Thread(r, "junction-http-api-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
  }

  /** Adds the {@code /v1/} and {@code /v2} routes, {@code /openapi.json} and {@code /docs} to {@code server}. */
  public void register(HttpServer server) {
    server.createContext("/v1/", this::handOver);
    server.createContext("/v2", this::handOver);
    server.createContext("/openapi.json", this::handOver);
    server.createContext("/docs", this::handOver);
  }

  public void stop() {
    executor.shutdownNow();
  }

  private void handOver(HttpExchange exchange) throws IOException {
    try {
      executor.execute(() -> serve(exchange));
    } catch (RejectedExecutionException full) {
      try (exchange) {
        new HttpCall(exchange, maxBodyBytes).fail(new HttpFailure(503, "overloaded: more than " + queue
            + " HTTP calls waiting (expected: fewer at once; retry later)"));
      }
    }
  }

  private void serve(HttpExchange exchange) {
    HttpCall call = new HttpCall(exchange, maxBodyBytes);
    try (exchange) {
      try {
        List<String> path = Routes.segments(exchange.getRequestURI().getPath());
        List<String> rest = path.isEmpty() ? path : path.subList(1, path.size());
        boolean served = !path.isEmpty() && (path.get(0).equals("v2") ? v2.serve(call, rest)
            : path.get(0).equals("v1") ? v1.serve(call, rest) : docs.serve(call, path));
        if (!served) {
          throw new HttpFailure(404, "path: " + exchange.getRequestURI().getPath()
              + " (expected: a route of docs/http.md, such as /v2/models/{name}/infer or /v1/recommend)");
        }
      } catch (HttpFailure f) {
        call.fail(f);
      } catch (RuntimeException e) {
        log.error("HTTP {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        call.fail(new HttpFailure(500, "internal error (see the orchestrator's log): " + e.getClass().getSimpleName()));
      }
    } catch (IOException e) {
      // the client went away, or the answer had started: nothing more can be said to it
      log.debug("HTTP {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    }
  }
}
