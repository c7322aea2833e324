package io.junction.workers.api;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.junction.grpc.MalformedRequests;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.SegmentHost;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The worker's gRPC server: the Open Inference Protocol, fused pipeline segments, WorkerControl,
 * health and reflection on one port. Handlers run on the transport's threads ({@code directExecutor}): they only
 * decode, check and queue, and model calls run on the host's bounded executor.
 */
public final class WorkerServer implements AutoCloseable {
  /** Large enough for a full batch of the demo models' widest tensors, with room to spare. */
  static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private final Server server;
  private final WorkerHealth health;
  private final ExecutorService control;

  private WorkerServer(Server server, WorkerHealth health, ExecutorService control) {
    this.server = server;
    this.health = health;
    this.control = control;
  }

  /** Binds {@code host:port} (0 picks a free port) and starts serving. */
  public static WorkerServer start(String host, int port, ModelHost models) throws IOException {
    WorkerHealth health = new WorkerHealth();
    ExecutorService control = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "worker-control");
      t.setDaemon(true);
      return t;
    });
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .directExecutor()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES);
    Server server = addServices(builder, models, health, control).build();
    try {
      server.start();
    } catch (IOException e) {
      control.shutdownNow();
      throw e;
    }
    return new WorkerServer(server, health, control);
  }

  /** The services every worker serves; the in-process tests bind the same ones. */
  static <B extends ServerBuilder<B>> B addServices(B builder, ModelHost models, WorkerHealth health, Executor control) {
    return builder
        .addService(MalformedRequests.rejectedAsInvalid(new InferenceApi(models).bindService()))
        .addService(MalformedRequests.rejectedAsInvalid(
            new SegmentApi(new SegmentHost(models, System::nanoTime)).bindService()))
        .addService(MalformedRequests.rejectedAsInvalid(new WorkerControlApi(models, health, control).bindService()))
        .addService(health.service())
        .addService(ProtoReflectionServiceV1.newInstance());
  }

  public int port() {
    return server.getPort();
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
    server.shutdown();
    control.shutdown();
    try {
      if (!server.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(millis, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
