package io.junction.orchestrator.cli;

import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.pool.PoolStartException;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.server.JunctionServer;
import io.junction.orchestrator.server.ServerOptions;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running orchestrator, built in the order that makes each step's input exist: pools started
 * (workers up, model signatures known), then pipelines compiled against those signatures, then
 * the servers opened. Closing goes the other way. This is the one place that wires the
 * packages together; plain constructors, because every object here exists once and the order
 * is dictated by I/O (starting pools) that a Guice module must not do.
 */
final class Serving implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Serving.class);

  private final Pools pools;
  private final JunctionServer server;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Serving(Pools pools, JunctionServer server) {
    this.pools = pools;
    this.server = server;
  }

  /**
   * Starts everything or nothing: if a step fails, what was started is stopped again before
   * the error is thrown, so that no worker process outlives a failed start.
   */
  static Serving start(List<PoolSpec> specs, Function<List<PoolSpec>, Pools> createPools,
      Function<Pools, Pipelines> compilePipelines, ServerOptions options, ApiLimits limits)
      throws PoolStartException, IOException {
    log.info("starting {} pool(s): {}", specs.size(), specs.stream()
        .map(s -> s.name() + " (" + s.kind().name().toLowerCase(java.util.Locale.ROOT) + ", " + s.replicas() + " x "
            + s.device() + ", models " + String.join(",", s.models()) + ")")
        .toList());
    Pools pools = createPools.apply(specs);
    try {
      long start = System.nanoTime();
      pools.start();
      log.info("pools ready in {} ms: {}", (System.nanoTime() - start) / 1_000_000, summary(pools.snapshot()));
      Pipelines pipelines = compilePipelines.apply(pools);
      log.info("pipelines compiled: {}", pipelines.describe().stream().map(d -> d.name()).sorted().toList());
      JunctionServer server = new JunctionServer(options, pools, pipelines, limits).start();
      return new Serving(pools, server);
    } catch (PoolStartException | IOException | RuntimeException e) {
      pools.close();
      throw e;
    }
  }

  int grpcPort() {
    return server.grpcPort();
  }

  int httpPort() {
    return server.httpPort();
  }

  String transport() {
    return server.transport();
  }

  /** Stops the servers (in-flight calls get the grace period), then the pools and their workers. Once. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("stopping: draining calls, then the pools");
    try {
      server.close();
    } finally {
      pools.close();
    }
    log.info("stopped");
  }

  private static String summary(List<PoolSnapshot> pools) {
    StringBuilder sb = new StringBuilder();
    for (PoolSnapshot p : pools) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(p.name()).append(": ");
      sb.append(String.join(", ", p.replicas().stream()
          .map(r -> r.id() + " " + r.state() + (r.pid() > 0 ? " pid " + r.pid() : "") + " " + r.endpoint())
          .toList()));
    }
    return sb.toString();
  }
}
