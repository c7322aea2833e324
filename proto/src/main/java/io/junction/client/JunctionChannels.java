package io.junction.client;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Channels for calling Junction from another service: {@code round_robin} over every address
 * of the target, retries of idempotent calls on {@code UNAVAILABLE} with exponential backoff,
 * per-method timeouts and a default deadline, keepalive the server accepts, and the options'
 * call credentials, priority header and interceptors. Build one channel per target and share
 * it: a channel is a pool of connections, not a connection.
 *
 * <pre>{@code
 * ManagedChannel channel = JunctionChannels.newChannel(
 *     JunctionClientOptions.builder("dns:///junction.default.svc.cluster.local:8500")
 *         .callCredentials(BearerToken.of(tokens::current))
 *         .build());
 * RecommendResponse r = RecommendationServiceGrpc.newBlockingStub(channel)
 *     .recommend(RecommendRequest.newBuilder().setUserId(42).build());
 * }</pre>
 *
 * <p>grpc-java resolves a {@code dns:///} name again when a connection is lost (and at most
 * every 30 s: the JVM's {@code networkaddress.cache.ttl}), so replicas that come and go behind
 * a headless Kubernetes service are followed.
 */
public final class JunctionChannels {
  private JunctionChannels() {}

  /** A Netty channel to the options' target. */
  public static ManagedChannel newChannel(JunctionClientOptions options) {
    return configure(NettyChannelBuilder.forTarget(options.target()), options).build();
  }

  /**
   * Applies everything but the transport to {@code builder}: for a builder of another transport
   * (in-process in tests) or one the application tunes further (TLS trust, executors). The
   * builder's own target is used, not the options'.
   */
  public static <T extends ManagedChannelBuilder<T>> T configure(T builder, JunctionClientOptions options) {
    if (options.useTls()) {
      builder.useTransportSecurity();
    } else {
      builder.usePlaintext();
    }
    Set<String> known = JunctionMethods.all().stream().map(JunctionMethods.Method::fullName).collect(Collectors.toSet());
    // the channel calls the last interceptor first: the application's run before the defaults,
    // so that what they set (a deadline, credentials, the priority header) is kept
    List<ClientInterceptor> interceptors = new ArrayList<>();
    interceptors.add(new DefaultDeadline(options.defaultDeadline(), known));
    interceptors.add(new CallDefaults(options.callCredentials(), options.priority()));
    interceptors.addAll(options.interceptors());
    return builder
        .defaultServiceConfig(ServiceConfigs.of(options))
        .enableRetry()
        .maxRetryAttempts(RetryOptions.MAX_ATTEMPTS)
        .keepAliveTime(options.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(options.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
        // the server refuses pings on a connection without calls
        .keepAliveWithoutCalls(false)
        .intercept(interceptors);
  }
}
