package io.junction.workers.api;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.junction.http.HttpCall;
import io.junction.http.HttpExchanges;
import io.junction.http.InferenceRoutes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The worker's HTTP port ({@code --http-port}): the Open Inference Protocol's REST form under
 * {@code /v2}, as the orchestrator serves it (module http, docs/http.md). Each request is a call
 * of the worker's own gRPC services over an in-process channel, so validation, the worker's
 * StatusMapper and its health answer REST as they answer gRPC; the HTTP status follows from the
 * gRPC one. It translates only: no routes of its own, no threads but those of
 * {@link HttpExchanges}.
 */
final class WorkerHttp {
  private static final String ROUTES = "a route of the Open Inference Protocol's REST form (docs/http.md), such as"
      + " /v2/health/ready or /v2/models/{name}/infer";

  private final HttpServer server;
  private final HttpExchanges exchanges;
  private final ManagedChannel channel;

  private WorkerHttp(HttpServer server, HttpExchanges exchanges, ManagedChannel channel) {
    this.server = server;
    this.exchanges = exchanges;
    this.channel = channel;
  }

  /**
   * Binds {@code host:port} (0 picks a free port) and serves the REST routes through the
   * in-process gRPC server named {@code inProcessName}, which the caller starts and stops.
   */
  static WorkerHttp start(String host, int port, String inProcessName, int maxBodyBytes) throws IOException {
    ManagedChannel channel = InProcessChannelBuilder.forName(inProcessName).directExecutor().build();
    InferenceRoutes v2 = new InferenceRoutes(channel);
    HttpExchanges exchanges = new HttpExchanges("worker-http", HttpExchanges.THREADS, HttpExchanges.QUEUE, maxBodyBytes,
        List.of(), ROUTES);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      channel.shutdownNow();
      exchanges.stop();
      throw e;
    }
    // the handler only hands the exchange over: the server's own dispatcher thread runs it
    server.createContext("/", exchange -> exchanges.handOver(exchange, (call, path) -> serve(v2, call, path)));
    server.start();
    return new WorkerHttp(server, exchanges, channel);
  }

  private static boolean serve(InferenceRoutes v2, HttpCall call, List<String> path) throws IOException {
    return !path.isEmpty() && path.get(0).equals("v2") && v2.serve(call, path.subList(1, path.size()));
  }

  int port() {
    return server.getAddress().getPort();
  }

  void stop() {
    server.stop(0);
    exchanges.stop();
    channel.shutdownNow();
    try {
      channel.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
