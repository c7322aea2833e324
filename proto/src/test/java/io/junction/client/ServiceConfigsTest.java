package io.junction.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceConfigsTest {

  private static final Map<String, Object> RETRY = Map.of(
      "maxAttempts", 4.0, "initialBackoff", "0.05s", "maxBackoff", "1s", "backoffMultiplier", 2.0,
      "retryableStatusCodes", List.of("UNAVAILABLE"));

  @Test
  void balancesRoundRobinAndThrottlesRetries() {
    Map<String, Object> config = ServiceConfigs.of(JunctionClientOptions.builder("junction:8500").build());
    assertThat(config.get("loadBalancingConfig")).isEqualTo(List.of(Map.of("round_robin", Map.of())));
    assertThat(config.get("retryThrottling")).isEqualTo(Map.of("maxTokens", 10.0, "tokenRatio", 0.1));
  }

  @Test
  void retriesIdempotentMethodsOnlyEachWithItsDefaultTimeout() {
    Map<String, Object> config = ServiceConfigs.of(JunctionClientOptions.builder("junction:8500").build());
    assertThat(methodConfig(config, "junction.v1.RecommendationService", "Recommend"))
        .contains(Map.of("name", name("junction.v1.RecommendationService", "Recommend"), "timeout", "5s",
            "retryPolicy", RETRY));
    assertThat(methodConfig(config, "inference.GRPCInferenceService", "ModelInfer"))
        .contains(Map.of("name", name("inference.GRPCInferenceService", "ModelInfer"), "timeout", "10s",
            "retryPolicy", RETRY));
    assertThat(methodConfig(config, "inference.GRPCInferenceService", "ModelMetadata").orElseThrow())
        .containsEntry("timeout", "5s").containsEntry("retryPolicy", RETRY);
    assertThat(methodConfig(config, "junction.v1.PipelineService", "Run").orElseThrow())
        .containsEntry("timeout", "30s").containsEntry("retryPolicy", RETRY);
    assertThat(methodConfig(config, "grpc.health.v1.Health", "Check").orElseThrow())
        .containsEntry("timeout", "5s").containsEntry("retryPolicy", RETRY);
    // a turn of a session is not idempotent: a retry after the server ran it would add it twice
    assertThat(methodConfig(config, "junction.v1.ConversationService", "Converse"))
        .contains(Map.of("name", name("junction.v1.ConversationService", "Converse"), "timeout", "30s"));
    assertThat(methodConfig(config, "junction.v1.ConversationService", "ConverseStream"))
        .contains(Map.of("name", name("junction.v1.ConversationService", "ConverseStream"), "timeout", "60s"));
    assertThat(methodConfig(config, "junction.v1.AdminService", "DrainReplica"))
        .contains(Map.of("name", name("junction.v1.AdminService", "DrainReplica"), "timeout", "10s"));
    // sessions the client writes to have neither
    assertThat(methodConfig(config, "junction.v1.ConversationService", "Chat")).isEmpty();
    assertThat(methodConfig(config, "inference.GRPCInferenceService", "ModelStreamInfer")).isEmpty();
  }

  @Test
  void aServiceTimeoutReplacesItsMethodsDefaultsAndAMethodTimeoutWinsOverIt() {
    Map<String, Object> config = ServiceConfigs.of(JunctionClientOptions.builder("junction:8500")
        .timeout("inference.GRPCInferenceService", Duration.ofMillis(1500))
        .timeout("junction.v1.RecommendationService/Recommend", Duration.ofMillis(250))
        .timeout("junction.v1.ConversationService/Chat", Duration.ofMinutes(5))
        .build());
    assertThat(methodConfig(config, "inference.GRPCInferenceService", "ModelInfer").orElseThrow())
        .containsEntry("timeout", "1.5s");
    assertThat(methodConfig(config, "inference.GRPCInferenceService", "ServerLive").orElseThrow())
        .containsEntry("timeout", "1.5s");
    assertThat(methodConfig(config, "inference.GRPCInferenceService", "ModelStreamInfer")).isEmpty();
    assertThat(methodConfig(config, "junction.v1.RecommendationService", "Recommend").orElseThrow())
        .containsEntry("timeout", "0.25s");
    assertThat(methodConfig(config, "junction.v1.ConversationService", "Chat").orElseThrow())
        .containsEntry("timeout", "300s").doesNotContainKey("retryPolicy");
  }

  @Test
  void withoutRetriesNoMethodHasAPolicyAndNothingIsThrottled() {
    Map<String, Object> config = ServiceConfigs.of(JunctionClientOptions.builder("junction:8500")
        .retry(RetryOptions.NONE).build());
    assertThat(config).doesNotContainKey("retryThrottling");
    assertThat(methodConfigs(config)).isNotEmpty().allSatisfy(m -> assertThat(m).doesNotContainKey("retryPolicy"));
  }

  @Test
  void durationsAreDecimalSeconds() {
    assertThat(ServiceConfigs.duration(Duration.ofMillis(50))).isEqualTo("0.05s");
    assertThat(ServiceConfigs.duration(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(ServiceConfigs.duration(Duration.ofNanos(1_000_000_001))).isEqualTo("1.000000001s");
  }

  private static List<Map<String, String>> name(String service, String method) {
    return List.of(Map.of("service", service, "method", method));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> methodConfigs(Map<String, Object> config) {
    return (List<Map<String, Object>>) config.get("methodConfig");
  }

  private static Optional<Map<String, Object>> methodConfig(Map<String, Object> config, String service, String method) {
    List<Map<String, Object>> found = methodConfigs(config).stream()
        .filter(m -> m.get("name").equals(name(service, method))).toList();
    assertThat(found).as("method configs of " + service + "/" + method).hasSizeLessThanOrEqualTo(1);
    return found.stream().findFirst();
  }
}
