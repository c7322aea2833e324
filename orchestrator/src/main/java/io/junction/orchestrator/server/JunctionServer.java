package io.junction.orchestrator.server;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.junction.grpc.EventLoops;
import io.junction.grpc.MalformedRequests;
import io.junction.grpc.ShortStatusMessages;
import io.junction.orchestrator.admission.Admission;
import io.junction.orchestrator.api.AdminService;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.ConversationService;
import io.junction.orchestrator.api.Draining;
import io.junction.orchestrator.api.InferenceService;
import io.junction.orchestrator.api.PipelineService;
import io.junction.orchestrator.api.RecommendationService;
import io.junction.orchestrator.http.HttpApi;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.session.Sessions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's network face: the gRPC server (every typed service, the Open Inference
 * Protocol, health and reflection) and the HTTP server for probes, metrics and the HTTP/JSON
 * routes ({@link HttpApi}), which reach the same services in process. It takes pools
 * and pipelines that are already up and does not own them: whoever started the pools closes
 * them after {@link #close()}.
 *
 * <p>Handlers run on the process's {@link EventLoops} ({@code directExecutor}), the same loops
 * the worker channels run on: every handler answers through futures and never blocks, and a
 * call relayed to a worker leaves and comes back on the loop that took the request. The server
 * does not own the loops: they are closed after it.
 */
public final class JunctionServer implements AutoCloseable {
  /** The shortest interval between a client's keepalive pings that the server accepts. */
  public static final long KEEPALIVE_MIN_SECONDS = 30;

  private static final Logger log = LoggerFactory.getLogger(JunctionServer.class);

  /** The lifecycle: NEW -> SERVING -> STOPPING -> STOPPED, each step once. */
  private enum State { NEW, SERVING, STOPPING, STOPPED }

  private final ServerOptions options;
  private final Pools pools;
  /** The door the pipelines' runs and the model calls go through, for its figures on /metrics. */
  private final Admission admission;
  private final EventLoops loops;
  private final List<BindableService> services;
  private final RequestMetrics metrics = new RequestMetrics();
  /** Shared by every service: the bound is on the server's streams, whichever service they call. */
  private final OpenStreamsInterceptor openStreams;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Draining draining = new Draining();
  private final DrainInterceptor drain = new DrainInterceptor(draining);
  private final PriorityInterceptor priority = new PriorityInterceptor();
  private final LongSupplier nanoClock;
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private volatile Server grpc;
  private volatile HttpEndpoints http;
  /** The gRPC services again, in process, for the HTTP/JSON routes. */
  private volatile Server inProcess;
  private volatile ManagedChannel inProcessChannel;

  public JunctionServer(ServerOptions options, Pools pools, Pipelines pipelines, ApiLimits limits, EventLoops loops) {
    this(options, pools, pipelines, limits, loops, System::nanoTime);
  }

  /** A server with a session store of its own, of the default bounds. */
  public JunctionServer(ServerOptions options, Pools pools, Pipelines pipelines, ApiLimits limits, EventLoops loops,
      LongSupplier nanoClock) {
    this(options, pools, pipelines, limits, loops, Sessions.create(SessionConfig.DEFAULT, nanoClock), nanoClock);
  }

  public JunctionServer(ServerOptions options, Pools pools, Pipelines pipelines, ApiLimits limits, EventLoops loops,
      Sessions sessions, LongSupplier nanoClock) {
    this.options = Objects.requireNonNull(options);
    this.pools = Objects.requireNonNull(pools);
    this.admission = pipelines.admission();
    this.loops = Objects.requireNonNull(loops);
    this.nanoClock = Objects.requireNonNull(nanoClock);
    this.openStreams = new OpenStreamsInterceptor(options.maxOpenStreams());
    this.services = List.of(
        new ConversationService(pipelines, limits, sessions, nanoClock, draining),
        new RecommendationService(pipelines, limits, nanoClock),
        new PipelineService(pipelines, limits),
        new AdminService(pools, pipelines, sessions),
        new InferenceService(pools, pipelines, limits));
  }

  /** Binds both servers and marks every service SERVING. The pools must be up already. */
  public JunctionServer start() throws IOException {
    if (!state.compareAndSet(State.NEW, State.SERVING)) {
      throw new IllegalStateException("server: " + state.get() + " (expected: NEW; a server starts once)");
    }
    MetricsInterceptor interceptor = new MetricsInterceptor(metrics, nanoClock);
    NettyServerBuilder b = loops.server(new InetSocketAddress(options.host(), options.port()))
        .maxInboundMessageSize(options.maxInboundMessageBytes())
        // one client cannot hold every stream the server has; its calls beyond this wait in its own channel
        .maxConcurrentCallsPerConnection(options.maxCallsPerConnection())
        // A Chat stream may stay idle between turns for long; let its client keep the connection
        // alive with pings every 30 s or more (grpc-java's default refuses pings under 5 minutes).
        .permitKeepAliveTime(KEEPALIVE_MIN_SECONDS, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(false)
        // descriptions echo what clients sent: cut them before they outgrow a client's metadata limit
        .intercept(new ShortStatusMessages());
    // The HTTP/JSON routes call the same services, through the same interceptors, in process:
    // so admission, priorities, draining, stream bounds and metrics treat them as gRPC calls.
    String inProcessName = InProcessServerBuilder.generateName();
    InProcessServerBuilder local = InProcessServerBuilder.forName(inProcessName).directExecutor();
    for (BindableService s : services) {
      // parse failures, refusals while draining and refused streams are answered inside the
      // metrics interceptor (the last one given runs first), so that metrics count them too;
      // draining refuses a new call before it takes a stream permit
      ServerServiceDefinition intercepted = ServerInterceptors.intercept(MalformedRequests.rejectedAsInvalid(s.bindService()),
          priority, openStreams, drain, interceptor);
      b.addService(intercepted);
      local.addService(intercepted);
    }
    // grpc's own services too: else a request that does not parse is UNKNOWN there
    b.addService(MalformedRequests.rejectedAsInvalid(health.getHealthService().bindService()));
    b.addService(MalformedRequests.rejectedAsInvalid(ProtoReflectionServiceV1.newInstance().bindService()));
    try {
      try {
        grpc = b.build().start();
      } catch (IOException e) {
        throw bindFailure("server.port", options.port(), e);
      }
      inProcess = local.build().start();
      inProcessChannel = InProcessChannelBuilder.forName(inProcessName).directExecutor().build();
      try {
        http = new HttpEndpoints(options.host(), options.httpPort(), pools, metrics, admission::snapshot,
            () -> state.get() != State.SERVING,
            new HttpApi(inProcessChannel, options.maxInboundMessageBytes()));
      } catch (IOException e) {
        throw bindFailure("server.http_port", options.httpPort(), e);
      }
      http.start();
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      throw e;
    }
    health.setStatus("", ServingStatus.SERVING);
    for (BindableService s : services) {
      health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    // say which transport: epoll doubles throughput, and only it reaches workers over Unix sockets
    log.debug("gRPC on {}:{} ({}), HTTP on {}:{}", options.host(), grpcPort(), loops, options.host(), httpPort());
    return this;
  }

  /**
   * A port that cannot be bound, named as the config names it: grpc says only "Failed to bind to
   * address" and the JDK only "Address already in use", neither of which says which port.
   */
  private IOException bindFailure(String key, int port, IOException e) {
    Throwable cause = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("Failed to bind")
        ? e.getCause() : e;
    return new IOException(key + ": " + port + " on " + options.host() + " cannot be bound: " + cause.getMessage()
        + " (expected: a free port; --port and --http-port override the config's)", e);
  }

  /** Streaming calls open now ({@code limits.max_open_streams} bounds them), for tests. */
  int openStreams() {
    return openStreams.open();
  }

  /** The bound gRPC port (the real one when the options said 0). */
  public int grpcPort() {
    return grpc.getPort();
  }

  public int httpPort() {
    return http.port();
  }

  public String transport() {
    return loops.transport();
  }

  /**
   * Drains, then stops. Health turns NOT_SERVING and /readyz 503 at once, so that balancers
   * stop sending; new calls get UNAVAILABLE ({@link DrainInterceptor}); open Chat streams end
   * after their turn in flight; the calls accepted before may finish within the grace period.
   * Then the gRPC server shuts down (anything still running when the grace period ends is
   * cancelled) and HTTP stops. Blocks until done; safe to call more than once.
   */
  @Override
  public void close() {
    State was = state.getAndUpdate(s -> s == State.STOPPED ? s : State.STOPPING);
    if (was == State.STOPPING || was == State.STOPPED) {
      return;
    }
    // the drain first: whoever reads NOT_SERVING may rely on new calls being refused already
    draining.begin();
    health.enterTerminalState();
    long grace = options.shutdownGrace().toNanos();
    long deadline = System.nanoTime() + grace;
    Server g = grpc;
    if (g != null) {
      log.info("draining: {} call(s) in flight, grace {} ms", drain.open(), grace / 1_000_000);
      try {
        if (drain.awaitIdle(deadline)) {
          log.info("drained: every accepted call has ended");
        } else {
          log.warn("{} call(s) still in flight after the grace period of {} ms: cancelling them", drain.open(),
              grace / 1_000_000);
        }
        g.shutdown();
        if (!g.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          g.shutdownNow();
          g.awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        g.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    HttpEndpoints h = http;
    if (h != null) {
      h.stop();
    }
    stopInProcess();
    state.set(State.STOPPED);
  }

  /** After HTTP has stopped: nothing calls in process any more. */
  private void stopInProcess() {
    if (inProcessChannel != null) {
      inProcessChannel.shutdownNow();
    }
    if (inProcess != null) {
      inProcess.shutdownNow();
    }
  }

  private void closeQuietly() {
    if (grpc != null) {
      grpc.shutdownNow();
    }
    if (http != null) {
      http.stop();
    }
    stopInProcess();
    state.set(State.STOPPED);
  }
}
