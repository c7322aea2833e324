package io.junction.orchestrator.cli;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.junction.engine.PipelineSpec;
import io.junction.orchestrator.admission.AdmissionConfig;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.config.JunctionConfig;
import io.junction.orchestrator.pipeline.PipelineLimits;
import io.junction.orchestrator.pipeline.PipelineModule;
import io.junction.orchestrator.pool.PoolModule;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.server.ServerModule;
import io.junction.orchestrator.server.ServerOptions;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.session.SessionModule;
import io.junction.orchestrator.transport.TransportModule;
import java.util.List;
import java.util.Objects;

/**
 * The process module of {@code junction serve}: binds the loaded, validated config and the
 * records each feature takes from it, and installs the feature modules. The config is read
 * here and nowhere to its right (pool, pipeline, server and api take their own records), and
 * nothing here does I/O: the config was loaded before the injector was made.
 */
final class ServeModule extends AbstractModule {
  private final JunctionConfig config;

  ServeModule(JunctionConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    bind(JunctionConfig.class).toInstance(config);
    install(new PoolModule());
    install(new PipelineModule());
    install(new ServerModule());
    install(new TransportModule());
    install(new SessionModule());
  }

  @Provides
  List<PoolSpec> poolSpecs(JunctionConfig cfg) {
    return cfg.pools();
  }

  @Provides
  List<PipelineSpec> pipelineSpecs(JunctionConfig cfg) {
    return cfg.pipelines();
  }

  @Provides
  ServerOptions serverOptions(JunctionConfig cfg) {
    return new ServerOptions(cfg.server().host(), cfg.server().port(), cfg.server().httpPort(),
        cfg.limits().maxMessageBytes(), cfg.server().shutdownGrace(),
        cfg.limits().maxConcurrentStreamsPerConnection(), cfg.limits().maxOpenStreams());
  }

  @Provides
  PipelineLimits pipelineLimits(JunctionConfig cfg) {
    return new PipelineLimits(cfg.limits().maxStepsExecuted());
  }

  @Provides
  AdmissionConfig admissionConfig(JunctionConfig cfg) {
    return cfg.admission();
  }

  @Provides
  SessionConfig sessionConfig(JunctionConfig cfg) {
    return cfg.sessions();
  }

  @Provides
  ApiLimits apiLimits(JunctionConfig cfg) {
    JunctionConfig.Limits l = cfg.limits();
    return new ApiLimits(l.maxTextChars(), l.maxK(), ApiLimits.DEFAULT.defaultDeadline(), l.maxTensorElements(),
        l.maxBatchSize(), l.maxStringBytes());
  }
}
