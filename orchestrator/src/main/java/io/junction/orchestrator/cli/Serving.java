package io.junction.orchestrator.cli;

import io.junction.grpc.EventLoops;
import io.junction.orchestrator.pipeline.PipelineFactory;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.pool.PoolStartException;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.server.JunctionServer;
import io.junction.orchestrator.server.ServerFactory;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's lifecycle: {@link #start()} brings it up in the order that makes each
 * step's input exist: pools started (workers up, model signatures known), then pipelines
 * compiled against those signatures, then the servers opened. {@link #close()} goes the other
 * way, and closes the event loops last, once nothing runs on them. The injector builds this object and everything it holds, but none of those does I/O
 * until {@link #start()}: the injector gives factories for the pipelines and the server,
 * whose inputs exist only once the pools have started, and the pools themselves unstarted.
 */
final class Serving implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Serving.class);

  private final List<PoolSpec> specs;
  private final Pools pools;
  private final PipelineFactory pipelines;
  private final ServerFactory servers;
  private final EventLoops loops;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Set once start() has opened the server; read by close(), which may run on a shutdown hook. */
  private volatile JunctionServer server;

  @Inject
  Serving(List<PoolSpec> specs, Pools pools, EventLoops loops, PipelineFactory pipelines, ServerFactory servers) {
    this.specs = List.copyOf(specs);
    this.pools = pools;
    this.pipelines = pipelines;
    this.servers = servers;
    this.loops = loops;
  }

  /**
   * Starts everything or nothing: if a step fails, what was started is stopped again before
   * the error is thrown, so that no worker process outlives a failed start. Once.
   */
  Serving start() throws PoolStartException, IOException {
    if (closed.get()) {
      throw new IllegalStateException("serving: closed (expected: start before close)");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("serving: started (expected: start once)");
    }
    log.info("starting {} pool(s): {}", specs.size(), specs.stream()
        .map(s -> s.name() + " (" + s.kind().name().toLowerCase(Locale.ROOT) + ", "
            + s.service().map(d -> "members at " + d.name()).orElse(s.replicas() + " x " + s.device())
            + ", models " + String.join(",", s.models()) + ")")
        .toList());
    try {
      long start = System.nanoTime();
      pools.start();
      log.info("pools ready in {} ms: {}", (System.nanoTime() - start) / 1_000_000, summary(pools.snapshot()));
      Pipelines compiled = pipelines.compile(pools);
      log.info("pipelines compiled: {}", compiled.describe().stream().map(d -> d.name()).sorted().toList());
      server = servers.create(pools, compiled).start();
      return this;
    } catch (PoolStartException | IOException | RuntimeException e) {
      close();
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

  /**
   * Stops the server if it was opened (in-flight calls get the grace period), then the pools
   * and their workers, then the event loops both ran on. Once. Safe before or without
   * {@link #start()}: then only the pools and the loops stop.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    JunctionServer s = server;
    if (s == null) {
      try {
        pools.close();
      } finally {
        loops.close();
      }
      return;
    }
    log.info("stopping: draining calls, then the pools");
    try {
      s.close();
    } finally {
      try {
        pools.close();
      } finally {
        loops.close();
      }
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
