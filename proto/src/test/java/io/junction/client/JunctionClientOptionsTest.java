package io.junction.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JunctionClientOptionsTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    JunctionClientOptions o = JunctionClientOptions.builder("dns:///junction:8500").build();
    assertThat(o.retry()).isEqualTo(RetryOptions.DEFAULT);
    assertThat(o.defaultDeadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.timeouts()).isEmpty();
    assertThat(o.keepAliveTime()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.keepAliveTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(o.callCredentials()).isEmpty();
    assertThat(o.interceptors()).isEmpty();
    assertThat(o.priority()).isEmpty();
    assertThat(o.useTls()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:8500", "localhost:1", "[::1]:65535", "dns:///junction.default.svc:8500"})
  void acceptsHostPortAndDnsTargets(String target) {
    assertThat(JunctionClientOptions.builder(target).build().target()).isEqualTo(target);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "junction", "junction:", ":8500", "junction:0", "junction:65536", "junction:http",
      "dns:///junction", "dns:junction:8500", "::1:8500", "http://junction:8500"})
  void refusesTargetsWithoutAHostAndPort(String target) {
    assertThatThrownBy(() -> JunctionClientOptions.builder(target).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("target: " + (target.isEmpty() ? "(empty)" : target))
        .hasMessageContaining("(expected: host:port or dns:///name:port");
  }

  static Stream<Arguments> badSettings() {
    return Stream.of(
        bad(b -> b.defaultDeadline(Duration.ZERO), "defaultDeadline: PT0S (expected: over 0)"),
        bad(b -> b.timeout("junction.v1.RecommendationService", Duration.ofMillis(-1)),
            "timeouts[junction.v1.RecommendationService]: PT-0.001S (expected: over 0)"),
        bad(b -> b.timeout("junction.v1.Recommendations", Duration.ofSeconds(1)),
            "timeouts: junction.v1.Recommendations (expected: a Junction service"),
        bad(b -> b.timeout("inference.GRPCInferenceService/Infer", Duration.ofSeconds(1)),
            "timeouts: inference.GRPCInferenceService/Infer (expected:"),
        bad(b -> b.keepAlive(Duration.ofSeconds(10), Duration.ofSeconds(5)),
            "keepAliveTime: PT10S (expected: at least PT30S, the server's minimum"),
        bad(b -> b.keepAlive(Duration.ofSeconds(30), Duration.ZERO), "keepAliveTimeout: PT0S (expected: over 0)"));
  }

  private static Arguments bad(UnaryOperator<JunctionClientOptions.Builder> setting, String message) {
    return Arguments.of(setting, message);
  }

  @ParameterizedTest
  @MethodSource("badSettings")
  void refusesSettingsOutOfRangeNamingThem(UnaryOperator<JunctionClientOptions.Builder> setting, String message) {
    assertThatThrownBy(() -> setting.apply(JunctionClientOptions.builder("junction:8500")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void acceptsTheServersKeepaliveMinimumAndKnownTimeoutKeys() {
    JunctionClientOptions o = JunctionClientOptions.builder("junction:8500")
        .keepAlive(JunctionClientOptions.SERVER_KEEPALIVE_MIN, Duration.ofSeconds(1))
        .timeout("junction.v1.ConversationService/Chat", Duration.ofMinutes(10))
        .timeout("grpc.health.v1.Health", Duration.ofSeconds(1))
        .build();
    assertThat(o.timeouts()).containsOnlyKeys("junction.v1.ConversationService/Chat", "grpc.health.v1.Health");
  }

  static Stream<Arguments> badRetries() {
    return Stream.of(
        Arguments.of(0, 50, 1000, 2.0, "retry.maxAttempts: 0 (expected: 1 to 5"),
        Arguments.of(6, 50, 1000, 2.0, "retry.maxAttempts: 6 (expected: 1 to 5, grpc-java's ceiling"),
        Arguments.of(3, 0, 1000, 2.0, "retry.initialBackoff: PT0S (expected: over 0)"),
        Arguments.of(3, 500, 100, 2.0, "retry.maxBackoff: PT0.1S (expected: at least retry.initialBackoff, PT0.5S)"),
        Arguments.of(3, 50, 1000, 0.5, "retry.multiplier: 0.5 (expected: a finite number >= 1)"),
        Arguments.of(3, 50, 1000, Double.NaN, "retry.multiplier: NaN (expected: a finite number >= 1)"));
  }

  @ParameterizedTest
  @MethodSource("badRetries")
  void refusesRetryOptionsOutOfRange(int attempts, long initialMs, long maxMs, double multiplier, String message) {
    assertThatThrownBy(() -> new RetryOptions(attempts, Duration.ofMillis(initialMs), Duration.ofMillis(maxMs), multiplier))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void optionsAreImmutable() {
    JunctionClientOptions.Builder b = JunctionClientOptions.builder("junction:8500")
        .timeout("junction.v1.PipelineService", Duration.ofSeconds(3));
    JunctionClientOptions o = b.build();
    b.timeout("junction.v1.AdminService", Duration.ofSeconds(1));
    assertThat(o.timeouts()).containsOnlyKeys("junction.v1.PipelineService");
    assertThatThrownBy(() -> o.timeouts().put("x", Duration.ZERO)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> o.interceptors().clear()).isInstanceOf(UnsupportedOperationException.class);
  }
}
