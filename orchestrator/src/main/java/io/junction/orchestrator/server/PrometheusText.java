package io.junction.orchestrator.server;

import io.junction.orchestrator.admission.AdmissionSnapshot;
import io.junction.orchestrator.admission.Priority;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.ReplicaStats;
import io.junction.proto.v1.BatchSizeBucket;
import io.junction.proto.v1.ModelStats;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Renders the metrics in the Prometheus text exposition format (version 0.0.4): the
 * orchestrator's own, and the batching statistics its workers reported for this scrape.
 */
final class PrometheusText {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final String INTERACTIVE = Priority.INTERACTIVE.wireName();
  private static final String BATCH = Priority.BATCH.wireName();
  private static final AdmissionSnapshot NOTHING_ADMITTED = new AdmissionSnapshot(0, 0, 0, 0, 0, 0, 0, 0);

  private PrometheusText() {}

  static String render(List<PoolSnapshot> pools, RequestMetrics requests) {
    return render(pools, requests, List.of());
  }

  static String render(List<PoolSnapshot> pools, RequestMetrics requests, List<ReplicaStats> workers) {
    return render(pools, requests, workers, NOTHING_ADMITTED);
  }

  static String render(List<PoolSnapshot> pools, RequestMetrics requests, List<ReplicaStats> workers,
      AdmissionSnapshot admission) {
    StringBuilder out = new StringBuilder(1024);
    header(out, MetricNames.ADMISSION_IN_FLIGHT, "gauge", "Requests admitted and not yet ended, by priority.");
    sample(out, MetricNames.ADMISSION_IN_FLIGHT, MetricNames.PRIORITY, INTERACTIVE,
        Integer.toString(admission.inFlight() - admission.batchInFlight()));
    sample(out, MetricNames.ADMISSION_IN_FLIGHT, MetricNames.PRIORITY, BATCH, Integer.toString(admission.batchInFlight()));
    header(out, MetricNames.ADMISSION_REFUSED_TOTAL, "counter", "Requests refused at the door, by priority.");
    sample(out, MetricNames.ADMISSION_REFUSED_TOTAL, MetricNames.PRIORITY, INTERACTIVE,
        Long.toString(admission.rejectedInteractive()));
    sample(out, MetricNames.ADMISSION_REFUSED_TOTAL, MetricNames.PRIORITY, BATCH, Long.toString(admission.rejectedBatch()));
    header(out, MetricNames.ADMISSION_ENDED_TOTAL, "counter", "Admitted requests that ended, by outcome.");
    sample(out, MetricNames.ADMISSION_ENDED_TOTAL, MetricNames.OUTCOME, "succeeded", Long.toString(admission.succeeded()));
    sample(out, MetricNames.ADMISSION_ENDED_TOTAL, MetricNames.OUTCOME, "failed", Long.toString(admission.failed()));
    sample(out, MetricNames.ADMISSION_ENDED_TOTAL, MetricNames.OUTCOME, "cancelled", Long.toString(admission.cancelled()));
    header(out, MetricNames.REPLICAS, "gauge", "Replicas of each pool by state.");
    for (PoolSnapshot pool : pools) {
      Map<String, Integer> byState = new TreeMap<>();
      MetricNames.REPLICA_STATES.forEach(s -> byState.put(s, 0));
      pool.replicas().forEach(r -> byState.merge(r.state() == null ? "UNKNOWN" : r.state(), 1, Integer::sum));
      byState.forEach((state, n) -> sample(out, MetricNames.REPLICAS,
          MetricNames.POOL, pool.name(), MetricNames.STATE, state, Integer.toString(n)));
    }
    header(out, MetricNames.POOL_QUEUED, "gauge", "Calls waiting in each pool's queue for a free replica.");
    for (PoolSnapshot pool : pools) {
      sample(out, MetricNames.POOL_QUEUED, MetricNames.POOL, pool.name(), Integer.toString(pool.queued()));
    }
    header(out, MetricNames.POOL_EJECTED, "gauge", "Replicas of each pool ejected from routing for failing their calls.");
    for (PoolSnapshot pool : pools) {
      long ejected = pool.replicas().stream().filter(PoolSnapshot.ReplicaSnapshot::ejected).count();
      sample(out, MetricNames.POOL_EJECTED, MetricNames.POOL, pool.name(), Long.toString(ejected));
    }
    header(out, MetricNames.POOL_RETRIES_TOTAL, "counter",
        "Retries of each pool's calls (step retries, failovers), allowed or refused by its retry budget.");
    for (PoolSnapshot pool : pools) {
      sample(out, MetricNames.POOL_RETRIES_TOTAL, MetricNames.POOL, pool.name(), MetricNames.OUTCOME,
          MetricNames.RETRIED, Long.toString(pool.retries()));
      sample(out, MetricNames.POOL_RETRIES_TOTAL, MetricNames.POOL, pool.name(), MetricNames.OUTCOME,
          MetricNames.REFUSED, Long.toString(pool.retriesRefused()));
    }
    if (pools.stream().anyMatch(p -> p.discovery().isPresent())) {
      header(out, MetricNames.POOL_DNS_LOOKUPS_TOTAL, "counter",
          "Lookups of each dns pool's service, by outcome; after failed or empty ones the members were kept.");
      for (PoolSnapshot pool : pools) {
        pool.discovery().ifPresent(d -> {
          sample(out, MetricNames.POOL_DNS_LOOKUPS_TOTAL, MetricNames.POOL, pool.name(), MetricNames.OUTCOME,
              MetricNames.LOOKUP_OK, Long.toString(d.okLookups()));
          sample(out, MetricNames.POOL_DNS_LOOKUPS_TOTAL, MetricNames.POOL, pool.name(), MetricNames.OUTCOME,
              MetricNames.LOOKUP_FAILED, Long.toString(d.failedLookups()));
          sample(out, MetricNames.POOL_DNS_LOOKUPS_TOTAL, MetricNames.POOL, pool.name(), MetricNames.OUTCOME,
              MetricNames.LOOKUP_EMPTY, Long.toString(d.emptyLookups()));
        });
      }
    }
    header(out, MetricNames.REQUESTS_TOTAL, "counter", "Finished gRPC calls by service and status code.");
    requests.requests().forEach((service, outcomes) -> outcomes.forEach((outcome, n) ->
        sample(out, MetricNames.REQUESTS_TOTAL, MetricNames.SERVICE, service, MetricNames.OUTCOME, outcome, Long.toString(n))));
    header(out, MetricNames.REQUEST_SECONDS, "summary", "Time from a call's start to its close.");
    requests.timings().forEach((service, t) -> {
      sample(out, MetricNames.REQUEST_SECONDS_SUM, MetricNames.SERVICE, service,
          String.format(Locale.ROOT, "%.9f", t[1] / 1e9));
      sample(out, MetricNames.REQUEST_SECONDS_COUNT, MetricNames.SERVICE, service, Long.toString(t[0]));
    });
    batching(out, workers);
    return out.toString();
  }

  /** One series per pool, replica and model that batches. */
  private static void batching(StringBuilder out, List<ReplicaStats> workers) {
    header(out, MetricNames.WORKER_BATCH_SIZE, "histogram", "Rows per batch a worker ran, per model that batches.");
    forEachBatching(workers, (labels, m) -> {
      for (BatchSizeBucket b : m.getBatchSizesList()) {
        sample(out, MetricNames.WORKER_BATCH_SIZE_BUCKET, with(labels, MetricNames.LE,
            b.getLe() == 0 ? "+Inf" : Long.toString(b.getLe()), Long.toString(b.getBatches())));
      }
      sample(out, MetricNames.WORKER_BATCH_SIZE_SUM, with(labels, Long.toString(m.getBatchRows())));
      sample(out, MetricNames.WORKER_BATCH_SIZE_COUNT, with(labels, Long.toString(m.getBatches())));
    });
    header(out, MetricNames.WORKER_BATCH_QUEUE_SECONDS, "summary",
        "Time requests waited in a worker's batch queue.");
    forEachBatching(workers, (labels, m) -> {
      sample(out, MetricNames.WORKER_BATCH_QUEUE_SECONDS_SUM, with(labels, seconds(m.getQueueMicrosTotal())));
      sample(out, MetricNames.WORKER_BATCH_QUEUE_SECONDS_COUNT, with(labels, Long.toString(m.getBatchedRequests())));
    });
    header(out, MetricNames.WORKER_BATCH_QUEUE_SECONDS_MAX, "gauge",
        "The longest a request waited in a worker's batch queue.");
    forEachBatching(workers, (labels, m) ->
        sample(out, MetricNames.WORKER_BATCH_QUEUE_SECONDS_MAX, with(labels, seconds(m.getQueueMicrosMax()))));
  }

  private static void forEachBatching(List<ReplicaStats> workers, BiConsumer<String[], ModelStats> each) {
    for (ReplicaStats r : workers) {
      for (ModelStats m : r.stats().getModelsList()) {
        if (m.getBatching()) {
          each.accept(new String[] {MetricNames.POOL, r.pool(), MetricNames.REPLICA, r.replica(),
              MetricNames.MODEL, m.getName()}, m);
        }
      }
    }
  }

  private static String[] with(String[] labels, String... more) {
    String[] all = Arrays.copyOf(labels, labels.length + more.length);
    System.arraycopy(more, 0, all, labels.length, more.length);
    return all;
  }

  private static String seconds(long micros) {
    return String.format(Locale.ROOT, "%.6f", micros / 1e6);
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /** One sample; labels are name/value pairs followed by the value. */
  private static void sample(StringBuilder out, String name, String... labelsThenValue) {
    out.append(name).append('{');
    for (int i = 0; i + 1 < labelsThenValue.length; i += 2) {
      if (i > 0) {
        out.append(',');
      }
      out.append(labelsThenValue[i]).append("=\"").append(escape(labelsThenValue[i + 1])).append('"');
    }
    out.append("} ").append(labelsThenValue[labelsThenValue.length - 1]).append('\n');
  }

  static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
