package io.junction.orchestrator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Channel;
import io.junction.http.HttpCall;
import io.junction.http.HttpExchanges;
import io.junction.http.HttpStatuses;
import io.junction.http.InferenceRoutes;
import io.junction.orchestrator.admission.Priority;
import java.io.IOException;
import java.util.List;

/**
 * HTTP/JSON on the HTTP port: the Open Inference Protocol's REST form under {@code /v2}, the
 * typed services under {@code /v1}, and their OpenAPI document and docs page ({@link DocsRoutes})
 * (docs/http.md). It is a translation layer only: every
 * request becomes a call of the orchestrator's own gRPC services over an in-process channel,
 * so that validation, admission, priorities, draining, metrics and the status of an error are
 * those of the gRPC side; {@link HttpStatuses} turns that status into the HTTP one.
 *
 * <p>Requests run on threads of their own ({@link HttpExchanges}), {@value #QUEUE} waiting at
 * most; one that finds the queue full is answered 503 at once by the thread that handed it over.
 * A thread waits for its call's answer, the event loops never do: they only complete the call's
 * future. So the threads bound how many HTTP calls run at once, and probes and scrapes, which
 * keep their own thread, are not held up behind inference. The {@code /v2} routes are shared
 * with the workers (module http); the {@code /v1} ones are the orchestrator's own.
 */
public final class HttpApi {
  /** Concurrent HTTP calls: each thread mostly waits on a future, so several per core. */
  public static final int THREADS = HttpExchanges.THREADS;
  /** HTTP calls that may wait for a thread; one more is answered 503. */
  public static final int QUEUE = HttpExchanges.QUEUE;

  private final InferenceRoutes v2;
  private final TypedRoutes v1;
  private final DocsRoutes docs = new DocsRoutes();
  private final HttpExchanges exchanges;

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
    // the priority header is checked by the gRPC side, as for gRPC clients
    this.exchanges = new HttpExchanges("junction-http-api", threads, queue, maxBodyBytes, List.of(Priority.HEADER),
        "a route of docs/http.md, such as /v2/models/{name}/infer or /v1/recommend");
  }

  /** Adds the {@code /v1/} and {@code /v2} routes, {@code /openapi.json} and {@code /docs} to {@code server}. */
  public void register(HttpServer server) {
    server.createContext("/v1/", this::handOver);
    server.createContext("/v2", this::handOver);
    server.createContext("/openapi.json", this::handOver);
    server.createContext("/docs", this::handOver);
  }

  public void stop() {
    exchanges.stop();
  }

  private void handOver(HttpExchange exchange) throws IOException {
    exchanges.handOver(exchange, this::serve);
  }

  /** The route of {@code path} (the request path's segments); false when there is none. */
  private boolean serve(HttpCall call, List<String> path) throws IOException {
    List<String> rest = path.isEmpty() ? path : path.subList(1, path.size());
    return !path.isEmpty() && (path.get(0).equals("v2") ? v2.serve(call, rest)
        : path.get(0).equals("v1") ? v1.serve(call, rest) : docs.serve(call, path));
  }
}
