package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.grpc.EventLoops;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.FakePools;
import io.junction.orchestrator.pool.PoolStartException;
import io.junction.orchestrator.server.JunctionServer;
import io.junction.orchestrator.server.ServerFactory;
import io.junction.orchestrator.server.ServerOptions;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ListPipelinesRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The startup order and the all-or-nothing start, over fake pools and pipelines. */
class ServingTest {
  private static final ServerOptions LOOPBACK = new ServerOptions("127.0.0.1", 0, 0, 1 << 20, Duration.ofSeconds(1));
  private static final String LOOP_THREADS = "serving-test-grpc";

  /** The event loops of the test's Serving: a new group per test, as the injector makes one per process. */
  private final EventLoops loops = EventLoops.create(LOOP_THREADS, 2);

  @AfterEach
  void closeLoops() {
    loops.close();
  }

  @Test
  void startsPoolsThenCompilesPipelinesThenServesAndStopsInReverse() throws Exception {
    FakePools pools = new FakePools().snapshot(List.of(FakePools.pool("p", List.of("m"), "READY")));
    FakePipelines pipelines = new FakePipelines().put(FakePipelines.chat(), (in, o, d) -> null);
    Serving serving = new Serving(List.of(), pools, loops, p -> {
      assertThat(pools.started).as("pipelines compile against started pools").isTrue();
      return pipelines;
    }, servers(LOOPBACK)).start();
    assertThat(loopThreads()).as("the server runs on the loops").isNotEmpty();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", serving.grpcPort()).usePlaintext().build();
    try {
      assertThat(AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .listPipelines(ListPipelinesRequest.getDefaultInstance()).getPipelines(0).getName()).isEqualTo("chat");
    } finally {
      channel.shutdownNow();
    }
    int port = serving.grpcPort();
    serving.close();
    serving.close();
    assertThat(pools.closed).isTrue();
    assertThat(canBind(port)).isTrue();
    assertThat(loops.isTerminated()).as("the event loops close last, after the server and the pools").isTrue();
    // A loop's thread ends a moment after its loop has terminated: give it that moment, bounded.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!loopThreads().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertThat(loopThreads()).as("no loop thread outlives close").isEmpty();
  }

  @Test
  void aPoolThatCannotStartFailsServeWithItsError() {
    FakePools pools = new FakePools().failStart(new PoolStartException("pool gpus, replica gpus-0: gpu:0 not present (expected: a GPU, or fallback: cpu)", null));
    assertThatThrownBy(() -> new Serving(List.of(), pools, loops, p -> new FakePipelines(), servers(LOOPBACK)).start())
        .isInstanceOf(PoolStartException.class).hasMessageContaining("fallback: cpu");
    assertThat(pools.closed).as("workers already started are stopped").isTrue();
  }

  @Test
  void aPipelineThatDoesNotCompileStopsThePools() {
    FakePools pools = new FakePools();
    assertThatThrownBy(() -> new Serving(List.of(), pools, loops, p -> {
      throw new IllegalArgumentException("pipelines[0].steps[1].model: \"nope\" (expected: a served model)");
    }, servers(LOOPBACK)).start()).hasMessageContaining("nope");
    assertThat(pools.closed).isTrue();
  }

  @Test
  void aPortInUseFailsServeAndStopsThePools() throws IOException {
    FakePools pools = new FakePools();
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      ServerOptions options = new ServerOptions("127.0.0.1", taken.getLocalPort(), 0, 1 << 20, Duration.ZERO);
      assertThatThrownBy(() -> new Serving(List.of(), pools, loops, p -> new FakePipelines(), servers(options)).start())
          .isInstanceOf(IOException.class);
    }
    assertThat(pools.closed).isTrue();
  }

  @Test
  void closingBeforeStartStopsThePoolsAndStartIsThenRefused() {
    FakePools pools = new FakePools();
    Serving serving = new Serving(List.of(), pools, loops, p -> new FakePipelines(), servers(LOOPBACK));
    serving.close();
    assertThat(pools.closed).as("what the shutdown hook does when a signal comes during start").isTrue();
    assertThat(loops.isTerminated()).isTrue();
    assertThatThrownBy(serving::start).isInstanceOf(IllegalStateException.class);
    assertThat(pools.started).isFalse();
  }

  @Test
  void startsOnce() throws Exception {
    FakePools pools = new FakePools();
    Serving serving = new Serving(List.of(), pools, loops, p -> new FakePipelines(), servers(LOOPBACK)).start();
    try {
      assertThatThrownBy(serving::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("start once");
    } finally {
      serving.close();
    }
  }

  private ServerFactory servers(ServerOptions options) {
    return (pools, pipelines) -> new JunctionServer(options, pools, pipelines, ApiLimits.DEFAULT, loops);
  }

  private static List<Thread> loopThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(LOOP_THREADS) && t.isAlive()).toList();
  }

  private static boolean canBind(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
