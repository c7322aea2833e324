package io.junction.workers.api;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.junction.grpc.EventLoops;
import io.junction.grpc.MalformedRequests;
import io.junction.grpc.ShortStatusMessages;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.SegmentHost;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The worker's gRPC servers: the Open Inference Protocol, fused pipeline segments, WorkerControl,
 * health and reflection on a TCP port and, when asked, on a Unix domain socket too (how the
 * orchestrator reaches its local workers: no TCP stack on the way; the port stays for grpcurl,
 * status and direct clients). Both run on the given {@link EventLoops}, sized to the worker's
 * cores. Handlers run on the loops ({@code directExecutor}): they only decode, check and queue,
 * and model calls run on the host's bounded executor. When asked, an HTTP port serves the Open
 * Inference Protocol's REST form ({@link WorkerHttp}) through an in-process server of the same
 * services.
 */
public final class WorkerServer implements AutoCloseable {
  /** Large enough for a full batch of the demo models' widest tensors, with room to spare. */
  static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
  /** Load and Unload calls that may wait for the control thread; more are refused as RESOURCE_EXHAUSTED. */
  static final int CONTROL_QUEUE = 16;

  private final Server server;
  private final Optional<Server> socketServer;
  private final WorkerHealth health;
  private final ExecutorService control;
  private final SegmentApi segments;
  private final Optional<Server> inProcess;
  private final Optional<WorkerHttp> http;

  private WorkerServer(Server server, Optional<Server> socketServer, WorkerHealth health, ExecutorService control,
      SegmentApi segments, Optional<Server> inProcess, Optional<WorkerHttp> http) {
    this.server = server;
    this.socketServer = socketServer;
    this.health = health;
    this.control = control;
    this.segments = segments;
    this.inProcess = inProcess;
    this.http = http;
  }

  /**
   * Binds {@code host:port} (0 picks a free port), when given the Unix socket {@code socket} and
   * the HTTP port {@code httpPort} on {@code host} (0 picks a free one), and starts serving on
   * {@code loops}, which the caller closes after {@link #stop}.
   */
  public static WorkerServer start(String host, int port, Optional<Path> socket, OptionalInt httpPort, ModelHost models,
      EventLoops loops) throws IOException {
    WorkerHealth health = new WorkerHealth();
    ExecutorService control = controlExecutor(CONTROL_QUEUE);
    // One segment host for both listeners: plans loaded over one are runnable over the other.
    SegmentApi segments = new SegmentApi(new SegmentHost(models, System::nanoTime), models);
    List<Server> started = new ArrayList<>(3);
    Optional<Server> inProcess = Optional.empty();
    Optional<WorkerHttp> http = Optional.empty();
    try {
      started.add(build(loops, new InetSocketAddress(host, port), models, segments, health, control).start());
      if (socket.isPresent()) {
        started.add(build(loops, EventLoops.unixAddress(socket.get()), models, segments, health, control).start());
      }
      if (httpPort.isPresent()) {
        String name = InProcessServerBuilder.generateName();
        inProcess = Optional.of(addServices(InProcessServerBuilder.forName(name).directExecutor()
            .maxInboundMessageSize(MAX_MESSAGE_BYTES), models, segments, health, control).build().start());
        started.add(inProcess.get());
        http = Optional.of(WorkerHttp.start(host, httpPort.getAsInt(), name, MAX_MESSAGE_BYTES));
      }
    } catch (IOException | RuntimeException e) {
      started.forEach(Server::shutdownNow);
      control.shutdownNow();
      throw e;
    }
    return new WorkerServer(started.get(0), socket.isPresent() ? Optional.of(started.get(1)) : Optional.empty(),
        health, control, segments, inProcess, http);
  }

  /**
   * The one thread that runs Load and Unload (they block in the engine), named "worker-control",
   * with a queue of {@code queue} calls: the queue's own bound refuses more
   * ({@link java.util.concurrent.RejectedExecutionException}, answered RESOURCE_EXHAUSTED by
   * {@link WorkerControlApi}), so a caller that loops on Load cannot grow the worker's memory.
   */
  static ExecutorService controlExecutor(int queue) {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
      Thread t = new Thread(r, "worker-control");
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
  }

  private static Server build(EventLoops loops, SocketAddress address, ModelHost models, SegmentApi segments,
      WorkerHealth health, Executor control) {
    return addServices(loops.server(address).maxInboundMessageSize(MAX_MESSAGE_BYTES), models, segments, health,
        control).build();
  }

  /** The services every worker serves; the in-process tests bind the same ones. */
  static <B extends ServerBuilder<B>> B addServices(B builder, ModelHost models, SegmentHost segments,
      WorkerHealth health, Executor control) {
    return addServices(builder, models, new SegmentApi(segments, models), health, control);
  }

  static <B extends ServerBuilder<B>> B addServices(B builder, ModelHost models, SegmentApi segments,
      WorkerHealth health, Executor control) {
    return builder
        // descriptions echo requests: cut them before they outgrow the orchestrator's metadata limit
        .intercept(new ShortStatusMessages())
        .addService(MalformedRequests.rejectedAsInvalid(new InferenceApi(models).bindService()))
        .addService(MalformedRequests.rejectedAsInvalid(segments.bindService()))
        .addService(MalformedRequests.rejectedAsInvalid(new WorkerControlApi(models, health, control).bindService()))
        .addService(health.service())
        .addService(ProtoReflectionServiceV1.newInstance());
  }

  public int port() {
    return server.getPort();
  }

  /** The HTTP port, when there is one. */
  public OptionalInt httpPort() {
    return http.map(h -> OptionalInt.of(h.port())).orElse(OptionalInt.empty());
  }

  public WorkerHealth health() {
    return health;
  }

  /** Stops taking calls and waits up to {@code millis} for those open to finish. */
  @Override
  public void close() {
    stop(2_000);
  }

  public void stop(long millis) {
    health.terminal();
    // HTTP first: its calls go through the in-process server, which stops with the others
    http.ifPresent(WorkerHttp::stop);
    // A call stream stays open between calls; ended here once its calls are answered, it does
    // not hold the servers' shutdown for the whole grace period.
    segments.endCallStreams();
    List<Server> servers = new ArrayList<>(3);
    socketServer.ifPresent(servers::add);
    inProcess.ifPresent(servers::add);
    servers.add(server);
    servers.forEach(Server::shutdown);
    control.shutdown();
    try {
      for (Server s : servers) {
        if (!s.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
          s.shutdownNow();
          s.awaitTermination(millis, TimeUnit.MILLISECONDS);
        }
      }
    } catch (InterruptedException e) {
      servers.forEach(Server::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }
}
