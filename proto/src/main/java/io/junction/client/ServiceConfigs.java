package io.junction.client;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gRPC service config (the JSON of gRPC's service-config spec, as the nested maps that
 * {@code ManagedChannelBuilder.defaultServiceConfig} takes) that carries the options' balancing,
 * timeouts and retries: {@code round_robin} over every address of the target, one method config
 * per known method (its timeout; a retry policy on {@code UNAVAILABLE} when it is idempotent),
 * and retry throttling so that an outage does not multiply the load on what is left.
 * grpc-java wants numbers as Double and durations as strings like {@code "0.05s"}.
 */
final class ServiceConfigs {
  /**
   * gRPC's retry throttle (A6): each failed attempt takes a token, each success gives back
   * 0.1; retries stop while at most half of 10 are left. A lone replica going away costs a few
   * tokens; a whole service that fails stops being retried.
   */
  static final double THROTTLE_MAX_TOKENS = 10;
  static final double THROTTLE_TOKEN_RATIO = 0.1;

  private ServiceConfigs() {}

  static Map<String, Object> of(JunctionClientOptions options) {
    List<Object> methodConfigs = new ArrayList<>();
    for (JunctionMethods.Method m : JunctionMethods.withTimeouts(options.timeouts())) {
      boolean retried = m.idempotent() && options.retry().enabled();
      if (m.timeout().isEmpty() && !retried) {
        continue;
      }
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("name", List.of(Map.of("service", m.service(), "method", m.name())));
      m.timeout().ifPresent(t -> config.put("timeout", duration(t)));
      if (retried) {
        config.put("retryPolicy", retryPolicy(options.retry()));
      }
      methodConfigs.add(config);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("loadBalancingConfig", List.of(Map.of("round_robin", Map.of())));
    config.put("methodConfig", methodConfigs);
    if (options.retry().enabled()) {
      config.put("retryThrottling", Map.of("maxTokens", THROTTLE_MAX_TOKENS, "tokenRatio", THROTTLE_TOKEN_RATIO));
    }
    return config;
  }

  private static Map<String, Object> retryPolicy(RetryOptions retry) {
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put("maxAttempts", (double) retry.maxAttempts());
    policy.put("initialBackoff", duration(retry.initialBackoff()));
    policy.put("maxBackoff", duration(retry.maxBackoff()));
    policy.put("backoffMultiplier", retry.multiplier());
    policy.put("retryableStatusCodes", List.of("UNAVAILABLE"));
    return policy;
  }

  /** A duration in the service config's form: decimal seconds and an {@code s}. */
  static String duration(Duration d) {
    return BigDecimal.valueOf(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9))
        .stripTrailingZeros().toPlainString() + "s";
  }
}
