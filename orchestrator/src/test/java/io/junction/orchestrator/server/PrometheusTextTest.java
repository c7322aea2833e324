package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.orchestrator.admission.AdmissionSnapshot;
import io.junction.orchestrator.api.FakePools;
import io.junction.orchestrator.pool.Device;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.pool.ReplicaStats;
import io.junction.proto.v1.BatchSizeBucket;
import io.junction.proto.v1.ModelStats;
import io.junction.proto.v1.StatsResponse;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus text itself: escaping, every state exported, sums in seconds. */
class PrometheusTextTest {

  @Test
  void rendersAdmissionInFlightByPriorityRefusalsAndEndings() {
    String text = PrometheusText.render(List.of(), new RequestMetrics(), List.of(),
        new AdmissionSnapshot(7, 3, 100, 2, 5, 80, 6, 7));
    assertThat(text)
        .contains("# TYPE junction_admission_in_flight gauge\n")
        .contains("junction_admission_in_flight{priority=\"interactive\"} 4\n")
        .contains("junction_admission_in_flight{priority=\"batch\"} 3\n")
        .contains("junction_admission_refused_total{priority=\"interactive\"} 2\n")
        .contains("junction_admission_refused_total{priority=\"batch\"} 5\n")
        .contains("junction_admission_ended_total{outcome=\"succeeded\"} 80\n")
        .contains("junction_admission_ended_total{outcome=\"failed\"} 6\n")
        .contains("junction_admission_ended_total{outcome=\"cancelled\"} 7\n");
  }

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
  void countsTheEjectedReplicasOfEachPool() {
    PoolSnapshot pool = new PoolSnapshot("conversation", PoolSpec.Kind.LOCAL, List.of("m"), Device.CPU, List.of(
        new PoolSnapshot.ReplicaSnapshot("conversation-0", 1, "", "", "cpu", "READY", 0, 0, "", ""),
        new PoolSnapshot.ReplicaSnapshot("conversation-1", 2, "", "", "cpu", "READY", 0, 0, "", "", true,
            "3 failures in a row")));
    String text = PrometheusText.render(List.of(pool, FakePools.pool("other", List.of("n"), "READY")),
        new RequestMetrics());
    assertThat(text)
        .contains("# TYPE junction_pool_ejected gauge\n")
        .contains("junction_pool_ejected{pool=\"conversation\"} 1\n")
        .contains("junction_pool_ejected{pool=\"other\"} 0\n")
        .as("an ejected replica keeps its state").contains("junction_replicas{pool=\"conversation\",state=\"READY\"} 2\n");
  }

  @Test
  void countsTheRetriesOfEachPoolAllowedAndRefusedByItsBudget() {
    PoolSnapshot pool = new PoolSnapshot("recommendation", PoolSpec.Kind.LOCAL, List.of("m"), Device.CPU,
        PoolSpec.Affinity.NONE, List.of(), 0, 7, 3);
    String text = PrometheusText.render(List.of(pool), new RequestMetrics());
    assertThat(text)
        .contains("# TYPE junction_pool_retries_total counter\n")
        .contains("junction_pool_retries_total{pool=\"recommendation\",outcome=\"retried\"} 7\n")
        .contains("junction_pool_retries_total{pool=\"recommendation\",outcome=\"refused_by_budget\"} 3\n");
  }

  @Test
  void countsTheLookupsOfEachDnsPoolByOutcomeAndNothingWithoutOne() {
    PoolSnapshot dns = new PoolSnapshot("workers", PoolSpec.Kind.DNS, List.of("m"), Device.CPU,
        PoolSpec.Affinity.NONE, List.of(), 0, Optional.empty(), 0, 0, Optional.of(new PoolSnapshot.Discovery(
            "workers.test:50051", 5000, List.of("10.0.0.1"), "failed", "java.net.UnknownHostException: workers.test",
            1_700_000_000_000L, 12, 2, 1)));
    PoolSnapshot local = new PoolSnapshot("other", PoolSpec.Kind.LOCAL, List.of("n"), Device.CPU,
        PoolSpec.Affinity.NONE, List.of(), 0, 0, 0);

    assertThat(PrometheusText.render(List.of(dns, local), new RequestMetrics()))
        .contains("# TYPE junction_pool_dns_lookups_total counter\n")
        .contains("junction_pool_dns_lookups_total{pool=\"workers\",outcome=\"ok\"} 12\n")
        .contains("junction_pool_dns_lookups_total{pool=\"workers\",outcome=\"failed\"} 2\n")
        .contains("junction_pool_dns_lookups_total{pool=\"workers\",outcome=\"empty\"} 1\n")
        .doesNotContain("junction_pool_dns_lookups_total{pool=\"other\"");
    assertThat(PrometheusText.render(List.of(local), new RequestMetrics())).doesNotContain("dns_lookups");
  }

  @Test
  void rendersTheBatchingOfEveryWorkerModelThatBatches() {
    ModelStats featurizer = ModelStats.newBuilder().setName("featurizer").setBatching(true)
        .setBatches(3).setBatchRows(7).setBatchedRequests(5).setQueueMicrosTotal(1_500).setQueueMicrosMax(900)
        .addBatchSizes(BatchSizeBucket.newBuilder().setLe(1).setBatches(1))
        .addBatchSizes(BatchSizeBucket.newBuilder().setLe(2).setBatches(1))
        .addBatchSizes(BatchSizeBucket.newBuilder().setLe(4).setBatches(3))
        .addBatchSizes(BatchSizeBucket.newBuilder().setLe(0).setBatches(3))
        .build();
    ModelStats intent = ModelStats.newBuilder().setName("intent").setCalls(4).build();
    ReplicaStats replica = new ReplicaStats("conversation", "conversation-1",
        StatsResponse.newBuilder().addModels(featurizer).addModels(intent).build());

    String text = PrometheusText.render(List.of(), new RequestMetrics(), List.of(replica));
    String labels = "pool=\"conversation\",replica=\"conversation-1\",model=\"featurizer\"";
    assertThat(text)
        .contains("# TYPE junction_worker_batch_size histogram\n")
        .contains("junction_worker_batch_size_bucket{" + labels + ",le=\"1\"} 1\n")
        .contains("junction_worker_batch_size_bucket{" + labels + ",le=\"4\"} 3\n")
        .contains("junction_worker_batch_size_bucket{" + labels + ",le=\"+Inf\"} 3\n")
        .contains("junction_worker_batch_size_sum{" + labels + "} 7\n")
        .contains("junction_worker_batch_size_count{" + labels + "} 3\n")
        .contains("junction_worker_batch_queue_seconds_sum{" + labels + "} 0.001500\n")
        .contains("junction_worker_batch_queue_seconds_count{" + labels + "} 5\n")
        .contains("junction_worker_batch_queue_seconds_max{" + labels + "} 0.000900\n")
        .doesNotContain("model=\"intent\"");
  }

  @Test
  void escapesBackslashQuoteAndNewline() {
    assertThat(PrometheusText.escape("a\\b\"c\nd")).isEqualTo("a\\\\b\\\"c\\nd");
  }
}
