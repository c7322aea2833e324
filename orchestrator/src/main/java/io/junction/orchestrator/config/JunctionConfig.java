package io.junction.orchestrator.config;

import io.junction.engine.PipelineSpec;
import io.junction.orchestrator.admission.AdmissionConfig;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.pipeline.PipelineLimits;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.server.ServerOptions;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The orchestrator's whole configuration, as {@link ConfigLoader} parsed and validated it:
 * immutable, and trusted by the code that receives it. Checks that need the models'
 * signatures (tensor names, datatypes, shapes of pipelines) happen when the pipelines are
 * compiled against the running pools.
 *
 * @param repository the default model repository of local pools (each local pool's
 *                   {@link PoolSpec#repository()} is already resolved against it)
 * @param sessions   the bounds of the conversations' session store
 * @param admission  how many requests are admitted at once, by priority, and each pipeline's priority
 */
public record JunctionConfig(Server server, Optional<Path> repository, List<PoolSpec> pools, List<PipelineSpec> pipelines,
    Limits limits, SessionConfig sessions, AdmissionConfig admission) {

  public JunctionConfig {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(repository, "repository");
    pools = List.copyOf(pools);
    pipelines = List.copyOf(pipelines);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(admission, "admission");
  }

  /** A config with the default admission. */
  public JunctionConfig(Server server, Optional<Path> repository, List<PoolSpec> pools, List<PipelineSpec> pipelines,
      Limits limits, SessionConfig sessions) {
    this(server, repository, pools, pipelines, limits, sessions, AdmissionConfig.DEFAULT);
  }

  /** A config with the default session bounds. */
  public JunctionConfig(
      Server server, Optional<Path> repository, List<PoolSpec> pools, List<PipelineSpec> pipelines, Limits limits) {
    this(server, repository, pools, pipelines, limits, SessionConfig.DEFAULT);
  }

  /** The same config listening elsewhere: what `serve --port/--http-port` override. */
  public JunctionConfig withServer(Server newServer) {
    return new JunctionConfig(newServer, repository, pools, pipelines, limits, sessions, admission);
  }

  public Optional<PipelineSpec> pipeline(String name) {
    return pipelines.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /**
   * Where the orchestrator listens.
   *
   * @param port     public gRPC port (0 picks a free one)
   * @param httpPort HTTP port of /metrics, /healthz and /readyz (0 picks a free one)
   * @param shutdownGrace how long calls and streams accepted before SIGTERM may take to finish
   */
  public record Server(String host, int port, int httpPort, Duration shutdownGrace) {
    public static final Server DEFAULT = new Server("127.0.0.1", 8500, 8501);

    public Server {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    }

    public Server(String host, int port, int httpPort) {
      this(host, port, httpPort, ServerOptions.DEFAULT_SHUTDOWN_GRACE);
    }
  }

  /**
   * Bounds on what a request may ask and on what the server holds open, enforced at the API
   * boundary before any work starts (docs/configuration.md, "limits").
   *
   * @param maxMessageBytes                   largest gRPC message accepted, in bytes
   * @param maxTextChars                      longest text the conversation service accepts
   * @param maxK                              most items the recommendation service returns
   * @param maxTensorElements                 most elements of one input tensor (product of its shape)
   *                                          of ModelInfer, ModelStreamInfer and PipelineService
   * @param maxBatchSize                      largest first dimension of such an input tensor
   * @param maxStringBytes                    longest single BYTES element of such an input tensor
   * @param maxStepsExecuted                  most steps one pipeline run executes, each loop
   *                                          iteration counted
   * @param maxConcurrentStreamsPerConnection most calls open at once on one client connection
   *                                          (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS)
   * @param maxOpenStreams                    most streaming calls open at once on the server
   */
  public record Limits(int maxMessageBytes, int maxTextChars, int maxK, int maxTensorElements, int maxBatchSize,
      int maxStringBytes, int maxStepsExecuted, int maxConcurrentStreamsPerConnection, int maxOpenStreams) {
    /** The api's and the server's own defaults, so that each default is written once. */
    public static final Limits DEFAULT = new Limits(16 * 1024 * 1024, ApiLimits.DEFAULT.maxTextChars(),
        ApiLimits.DEFAULT.maxK(), ApiLimits.DEFAULT.maxTensorElements(), ApiLimits.DEFAULT.maxBatchSize(),
        ApiLimits.DEFAULT.maxStringBytes(), PipelineLimits.DEFAULT.maxStepsExecuted(),
        ServerOptions.DEFAULT_MAX_CALLS_PER_CONNECTION, ServerOptions.DEFAULT_MAX_OPEN_STREAMS);
  }
}
