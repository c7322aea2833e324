package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.engine.PipelineResult;
import io.junction.grpc.EventLoops;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.FakePools;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutdown: a call that never finishes is cancelled after the grace period, and close is idempotent. */
class JunctionServerShutdownTest {

  @Test
  void closeCancelsCallsStillInFlightAfterTheGraceAndReleasesThePorts() throws Exception {
    CompletableFuture<PipelineResult> never = new CompletableFuture<>();
    FakePipelines pipelines = new FakePipelines().put(FakePipelines.chat(), (in, o, d) -> never);
    FakePools pools = new FakePools().snapshot(List.of(FakePools.pool("p", List.of("m"), "READY")));
    EventLoops loops = EventLoops.create("shutdown-test-grpc", 1);
    JunctionServer server = new JunctionServer(new ServerOptions("127.0.0.1", 0, 0, 1 << 20, Duration.ZERO),
        pools, pipelines, ApiLimits.DEFAULT, loops).start();
    int grpcPort = server.grpcPort();
    int httpPort = server.httpPort();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      CompletableFuture<Throwable> outcome = new CompletableFuture<>();
      ConversationServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
          .converse(ConverseRequest.newBuilder().setText("hi").build(), new StreamObserver<ConverseResponse>() {
            @Override public void onNext(ConverseResponse value) {}
            @Override public void onError(Throwable t) { outcome.complete(t); }
            @Override public void onCompleted() { outcome.complete(null); }
          });
      // bounded wait until the call reached the pipeline
      for (int i = 0; i < 1000 && pipelines.last() == null; i++) {
        Thread.sleep(10);
      }
      assertThat(pipelines.last()).isNotNull();
      server.close();
      server.close();
      Throwable error = outcome.get(30, TimeUnit.SECONDS);
      assertThat(error).isNotNull();
      assertThat(Status.fromThrowable(error).getCode()).isIn(Status.Code.CANCELLED, Status.Code.UNAVAILABLE);
      assertThat(never.isCancelled()).as("the pipeline run was cancelled too").isTrue();
      assertThat(pools.closed).as("the server does not own the pools").isFalse();
      assertThat(loops.isTerminated()).as("nor the event loops, which the lifecycle closes after the pools").isFalse();
      assertThat(canBind(grpcPort)).isTrue();
      assertThat(canBind(httpPort)).isTrue();
      assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    } finally {
      channel.shutdownNow();
      server.close();
      loops.close();
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
