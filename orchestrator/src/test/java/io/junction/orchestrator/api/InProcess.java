package io.junction.orchestrator.api;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** An in-process server and channel on directExecutor, as the real server runs handlers. */
public final class InProcess implements AutoCloseable {
  private final Server server;
  public final ManagedChannel channel;

  public InProcess(BindableService... services) {
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : services) {
      b.addService(s);
    }
    try {
      server = b.build().start();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
