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
 */
public record ServerOptions(String host, int port, int httpPort, int maxInboundMessageBytes, Duration shutdownGrace) {
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

  public ServerOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    checkPort("port", port);
    checkPort("httpPort", httpPort);
    if (maxInboundMessageBytes < 1) {
      throw new IllegalArgumentException("maxInboundMessageBytes: " + maxInboundMessageBytes + " (expected: >= 1)");
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
