package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.orchestrator.api.FakePools;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus text itself: escaping, every state exported, sums in seconds. */
class PrometheusTextTest {

  @Test
  void rendersReplicasRequestsAndTimings() {
    RequestMetrics m = new RequestMetrics();
    m.record("junction.v1.AdminService", "OK", 1_500_000_000L);
    m.record("junction.v1.AdminService", "OK", 500_000_000L);
    m.record("junction.v1.AdminService", "UNAVAILABLE", 0);
    String text = PrometheusText.render(List.of(FakePools.pool("a\"b", List.of("m"), "READY", "READY")), m);
    assertThat(text)
        .contains("junction_replicas{pool=\"a\\\"b\",state=\"READY\"} 2\n")
        .contains("junction_replicas{pool=\"a\\\"b\",state=\"DRAINING\"} 0\n")
        .contains("junction_requests_total{service=\"junction.v1.AdminService\",outcome=\"OK\"} 2\n")
        .contains("junction_requests_total{service=\"junction.v1.AdminService\",outcome=\"UNAVAILABLE\"} 1\n")
        .contains("junction_request_seconds_sum{service=\"junction.v1.AdminService\"} 2.000000000\n")
        .contains("junction_request_seconds_count{service=\"junction.v1.AdminService\"} 3\n");
    assertThat(m.requests()).isEqualTo(Map.of("junction.v1.AdminService", Map.of("OK", 2L, "UNAVAILABLE", 1L)));
  }

  @Test
  void escapesBackslashQuoteAndNewline() {
    assertThat(PrometheusText.escape("a\\b\"c\nd")).isEqualTo("a\\\\b\\\"c\\nd");
  }
}
