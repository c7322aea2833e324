package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Stage;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.config.ConfigLoader;
import io.junction.orchestrator.config.JunctionConfig;
import io.junction.orchestrator.pipeline.PipelineFactory;
import io.junction.orchestrator.pipeline.PipelineLimits;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.server.ServerFactory;
import io.junction.orchestrator.server.ServerOptions;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.session.Sessions;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serve process's injector over the real demo config: it builds every binding eagerly
 * (Stage.PRODUCTION, as {@code serve} does) without launching a worker or opening a port.
 */
class ServeModuleTest {
  @TempDir Path repository;

  @Test
  void buildsEveryBindingOfTheDemoWithoutStartingWorkersOrOpeningPorts() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      // both ports are taken: if building the injector bound either, it would fail here
      JunctionConfig cfg = demo(taken.getLocalPort(), taken.getLocalPort());
      Injector injector = Guice.createInjector(Stage.PRODUCTION, new ServeModule(cfg));

      Pools pools = injector.getInstance(Pools.class);
      assertThat(injector.getInstance(Pools.class)).as("one Pools per process").isSameAs(pools);
      assertThat(pools.snapshot()).extracting(PoolSnapshot::name)
          .containsExactlyElementsOf(cfg.pools().stream().map(PoolSpec::name).toList());
      assertThat(pools.snapshot()).flatExtracting(PoolSnapshot::replicas).allSatisfy(r -> {
        assertThat(r.state()).as(r.id()).isEqualTo("STARTING");
        assertThat(r.pid()).as(r.id() + " launched no process").isZero();
      });
      assertThat(pools.models()).as("no signatures before start").isEmpty();

      assertThat(injector.getInstance(ServerOptions.class)).isEqualTo(new ServerOptions("127.0.0.1",
          taken.getLocalPort(), taken.getLocalPort(), cfg.limits().maxMessageBytes(), ServerOptions.DEFAULT_SHUTDOWN_GRACE,
          cfg.limits().maxConcurrentStreamsPerConnection(), cfg.limits().maxOpenStreams()));
      assertThat(injector.getInstance(ApiLimits.class)).isEqualTo(new ApiLimits(cfg.limits().maxTextChars(),
          cfg.limits().maxK(), ApiLimits.DEFAULT.defaultDeadline(), cfg.limits().maxTensorElements(),
          cfg.limits().maxBatchSize(), cfg.limits().maxStringBytes()));
      assertThat(injector.getInstance(PipelineLimits.class))
          .isEqualTo(new PipelineLimits(cfg.limits().maxStepsExecuted()));
      assertThat(injector.getInstance(PipelineFactory.class)).isNotNull();
      assertThat(injector.getInstance(ServerFactory.class)).isNotNull();
      assertThat(injector.getInstance(SessionConfig.class)).isEqualTo(cfg.sessions());
      assertThat(injector.getInstance(Sessions.class)).as("one session store per process")
          .isSameAs(injector.getInstance(Sessions.class));

      Serving serving = injector.getInstance(Serving.class);
      serving.close();
      assertThatThrownBy(pools::start).as("the Serving holds the process's one Pools").isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void aPoolThePoolPackageRefusesFailsServeWithItsOwnMessage() throws Exception {
    JunctionConfig demo = demo(0, 0);
    PoolSpec p = demo.pools().get(0);
    PoolSpec shortCpus = new PoolSpec(p.name(), PoolSpec.Kind.LOCAL, p.models(), 3, p.device(), p.fallbackCpu(),
        List.of("0", "1"), List.of(), p.repository(), p.maxInFlight(), p.healthInterval(), p.startTimeout(),
        p.jvmOptions());
    JunctionConfig cfg = new JunctionConfig(demo.server(), demo.repository(), List.of(shortCpus), demo.pipelines(),
        demo.limits());

    assertThatThrownBy(() -> ServeCommand.serving(cfg))
        .as("the pool package's error, not Guice's wrapping of it")
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("pool " + p.name() + ": cpus: 2 entries (expected: 1, or one per replica: 3)");
  }

  private JunctionConfig demo(int port, int httpPort) throws Exception {
    JunctionConfig cfg = ConfigLoader.demo(repository);
    return cfg.withServer(new JunctionConfig.Server("127.0.0.1", port, httpPort));
  }
}
