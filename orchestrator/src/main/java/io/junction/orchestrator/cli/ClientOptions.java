package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** What every client command takes: where the orchestrator is, how long to wait, which output. */
final class ClientOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  String target = "localhost:8500";
  long timeoutSeconds = 30;

  @Option(names = "--json", description = "Print the response as JSON (protobuf JSON mapping) instead of text.")
  boolean json;

  @Option(names = "--target", paramLabel = "HOST:PORT", description = "The orchestrator's gRPC address (default: ${DEFAULT-VALUE}).",
      defaultValue = "localhost:8500")
  void target(String value) {
    parseTarget(value);
    target = value;
  }

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "Deadline of the call in seconds (default: ${DEFAULT-VALUE}).",
      defaultValue = "30")
  void timeout(long value) {
    if (value < 1) {
      throw new ParameterException(spec.commandLine(), "--timeout: " + value + " (expected: >= 1 seconds)");
    }
    timeoutSeconds = value;
  }

  /** host and port of {@code host:port} ({@code [::1]:8500} for IPv6); a usage error otherwise. */
  private HostPort parseTarget(String value) {
    int colon = value.lastIndexOf(':');
    String host = colon > 0 ? value.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = -1;
    try {
      port = colon > 0 ? Integer.parseInt(value.substring(colon + 1)) : -1;
    } catch (NumberFormatException e) {
      // reported below
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new ParameterException(spec.commandLine(),
          "--target: \"" + value + "\" (expected: host:port, for example localhost:8500)");
    }
    return new HostPort(host, port);
  }

  private record HostPort(String host, int port) {}

  ManagedChannel channel() {
    HostPort hp = parseTarget(target);
    return NettyChannelBuilder.forAddress(hp.host(), hp.port()).usePlaintext().build();
  }
}
