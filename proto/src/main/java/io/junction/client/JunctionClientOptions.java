package io.junction.client;

import io.grpc.CallCredentials;
import io.grpc.ClientInterceptor;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a channel to Junction is built with, validated once when built: {@link #builder(String)}
 * fills in the defaults and {@link JunctionChannels#newChannel} turns the options into a channel.
 *
 * @param target           {@code host:port}, or {@code dns:///name:port} for a name with several
 *                         addresses (each one is balanced over with {@code round_robin})
 * @param retry            how idempotent calls are retried after {@code UNAVAILABLE}
 * @param defaultDeadline  the deadline of a unary or server-streaming call that has none, to a
 *                         method outside the helper's table of timeouts (see {@link #timeouts})
 * @param timeouts         timeouts replacing the defaults, keyed by full service name
 *                         ({@code junction.v1.RecommendationService}) or service/method
 *                         ({@code inference.GRPCInferenceService/ModelInfer})
 * @param keepAliveTime    the interval of keepalive pings while calls are open, at least the
 *                         server's {@link #SERVER_KEEPALIVE_MIN} (faster pings get the
 *                         connection closed with {@code ENHANCE_YOUR_CALM})
 * @param keepAliveTimeout how long a ping may go unanswered before the connection is dropped
 * @param callCredentials  credentials of every call that sets none of its own (see {@link BearerToken})
 * @param interceptors     extra interceptors, as {@code ManagedChannelBuilder.intercept} takes
 *                         them (the last one runs first); they run before the helper's own
 * @param priority         the {@value CallPriority#HEADER} of every call that sets none
 * @param useTls           TLS to the server, else plaintext (Junction serves plaintext; a mesh
 *                         sidecar may add TLS)
 */
public record JunctionClientOptions(String target, RetryOptions retry, Duration defaultDeadline,
    Map<String, Duration> timeouts, Duration keepAliveTime, Duration keepAliveTimeout,
    Optional<CallCredentials> callCredentials, List<ClientInterceptor> interceptors,
    Optional<CallPriority> priority, boolean useTls) {

  /**
   * The shortest keepalive interval the orchestrator permits
   * ({@code JunctionServer.KEEPALIVE_MIN_SECONDS}).
   */
  public static final Duration SERVER_KEEPALIVE_MIN = Duration.ofSeconds(30);

  public JunctionClientOptions {
    validateTarget(target);
    Objects.requireNonNull(retry, "retry");
    positive("defaultDeadline", defaultDeadline);
    Objects.requireNonNull(timeouts, "timeouts").forEach((name, timeout) -> {
      if (!JunctionMethods.known(name)) {
        throw new IllegalArgumentException("timeouts: " + name + " (expected: a Junction service such as"
            + " junction.v1.RecommendationService, or service/method such as inference.GRPCInferenceService/ModelInfer)");
      }
      positive("timeouts[" + name + "]", timeout);
    });
    timeouts = Map.copyOf(timeouts);
    Objects.requireNonNull(keepAliveTime, "keepAliveTime");
    if (keepAliveTime.compareTo(SERVER_KEEPALIVE_MIN) < 0) {
      throw new IllegalArgumentException("keepAliveTime: " + keepAliveTime + " (expected: at least "
          + SERVER_KEEPALIVE_MIN + ", the server's minimum; faster pings get the connection closed)");
    }
    positive("keepAliveTimeout", keepAliveTimeout);
    Objects.requireNonNull(callCredentials, "callCredentials");
    interceptors = List.copyOf(interceptors);
    Objects.requireNonNull(priority, "priority");
  }

  /** Options for {@code target} with every default: see {@link Builder}. */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  private static void positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: over 0)");
    }
  }

  private static void validateTarget(String target) {
    Objects.requireNonNull(target, "target");
    String hostPort = target;
    if (target.startsWith("dns:")) {
      try {
        URI uri = new URI(target);
        String path = uri.getPath();
        hostPort = path == null || !path.startsWith("/") ? "" : path.substring(1);
      } catch (URISyntaxException e) {
        hostPort = "";
      }
    }
    int colon = hostPort.lastIndexOf(':');
    String host = colon < 0 ? "" : hostPort.substring(0, colon);
    String port = colon < 0 ? "" : hostPort.substring(colon + 1);
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    boolean hostOk = !host.isEmpty() && !host.contains("/") && (bracketed || !host.contains(":"));
    if (!hostOk || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      throw new IllegalArgumentException("target: " + (target.isEmpty() ? "(empty)" : target)
          + " (expected: host:port or dns:///name:port, with a port from 1 to 65535; [addr]:port for IPv6)");
    }
  }

  /**
   * Builds {@link JunctionClientOptions}. Defaults: {@link RetryOptions#DEFAULT}, a 30 s default
   * deadline, the per-method timeouts of the helper's table (Recommend 5 s, Converse 30 s,
   * ConverseStream 60 s, PipelineService 30 s, ModelInfer 10 s, other inference calls 5 s, admin
   * 10 s, health check 5 s; Chat and ModelStreamInfer none), keepalive every 60 s with a 20 s
   * timeout, no credentials, no extra interceptors, no priority header, plaintext.
   */
  public static final class Builder {
    private final String target;
    private RetryOptions retry = RetryOptions.DEFAULT;
    private Duration defaultDeadline = Duration.ofSeconds(30);
    private final Map<String, Duration> timeouts = new LinkedHashMap<>();
    private Duration keepAliveTime = Duration.ofSeconds(60);
    private Duration keepAliveTimeout = Duration.ofSeconds(20);
    private CallCredentials callCredentials;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();
    private CallPriority priority;
    private boolean useTls;

    private Builder(String target) {
      this.target = target;
    }

    public Builder retry(RetryOptions retry) {
      this.retry = retry;
      return this;
    }

    public Builder defaultDeadline(Duration deadline) {
      this.defaultDeadline = deadline;
      return this;
    }

    /** The timeout of every unary and server-streaming method of a service, or of one service/method. */
    public Builder timeout(String serviceOrMethod, Duration timeout) {
      timeouts.put(Objects.requireNonNull(serviceOrMethod, "serviceOrMethod"), timeout);
      return this;
    }

    public Builder keepAlive(Duration time, Duration timeout) {
      this.keepAliveTime = time;
      this.keepAliveTimeout = timeout;
      return this;
    }

    public Builder callCredentials(CallCredentials credentials) {
      this.callCredentials = Objects.requireNonNull(credentials, "callCredentials");
      return this;
    }

    public Builder intercept(ClientInterceptor... extra) {
      interceptors.addAll(List.of(extra));
      return this;
    }

    public Builder priority(CallPriority priority) {
      this.priority = Objects.requireNonNull(priority, "priority");
      return this;
    }

    public Builder useTls(boolean useTls) {
      this.useTls = useTls;
      return this;
    }

    /** The options; an IllegalArgumentException names the first setting that is out of range. */
    public JunctionClientOptions build() {
      return new JunctionClientOptions(target, retry, defaultDeadline, timeouts, keepAliveTime, keepAliveTimeout,
          Optional.ofNullable(callCredentials), interceptors, Optional.ofNullable(priority), useTls);
    }
  }
}
