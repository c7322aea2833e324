package io.junction.orchestrator.server;

import java.time.Duration;
import java.util.Objects;

/**
 * Where and how the orchestrator listens, copied from the config's {@code server} and
 * {@code limits} sections by the wiring (the server package does not read config).
 *
 * @param host                   address both servers bind (127.0.0.1 in tests and the demo)
 * @param port                   gRPC port; 0 picks a free one (tests)
 * @param httpPort               HTTP port of /healthz, /readyz and /metrics; 0 picks a free one
 * @param maxInboundMessageBytes largest gRPC request accepted
 * @param shutdownGrace          how long calls in flight may finish once shutdown starts (server.shutdown_grace_ms)
 * @param maxCallsPerConnection  most calls open at once on one client connection (HTTP/2
 *                               SETTINGS_MAX_CONCURRENT_STREAMS): a client queues calls beyond it
 * @param maxOpenStreams         most streaming calls open at once on the server: one beyond it is
 *                               refused with RESOURCE_EXHAUSTED
 */
public record ServerOptions(String host, int port, int httpPort, int maxInboundMessageBytes, Duration shutdownGrace,
    int maxCallsPerConnection, int maxOpenStreams) {
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
  /** The defaults of {@code limits.max_concurrent_streams_per_connection} and {@code limits.max_open_streams}. */
  public static final int DEFAULT_MAX_CALLS_PER_CONNECTION = 2000;
  public static final int DEFAULT_MAX_OPEN_STREAMS = 10_000;

  /** Options with the default stream limits. */
  public ServerOptions(String host, int port, int httpPort, int maxInboundMessageBytes, Duration shutdownGrace) {
    this(host, port, httpPort, maxInboundMessageBytes, shutdownGrace, DEFAULT_MAX_CALLS_PER_CONNECTION,
        DEFAULT_MAX_OPEN_STREAMS);
  }

  public ServerOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    checkPort("port", port);
    checkPort("httpPort", httpPort);
    if (maxInboundMessageBytes < 1) {
      throw new IllegalArgumentException("maxInboundMessageBytes: " + maxInboundMessageBytes + " (expected: >= 1)");
    }
    if (maxCallsPerConnection < 1) {
      throw new IllegalArgumentException("maxCallsPerConnection: " + maxCallsPerConnection + " (expected: >= 1)");
    }
    if (maxOpenStreams < 1) {
      throw new IllegalArgumentException("maxOpenStreams: " + maxOpenStreams + " (expected: >= 1)");
    }
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdownGrace: " + shutdownGrace + " (expected: >= 0)");
    }
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + ": " + port + " (expected: 0..65535)");
    }
  }
}
