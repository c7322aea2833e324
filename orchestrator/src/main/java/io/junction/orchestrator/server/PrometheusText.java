package io.junction.orchestrator.server;

import io.junction.orchestrator.pool.PoolSnapshot;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Renders the metrics in the Prometheus text exposition format (version 0.0.4). */
final class PrometheusText {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private PrometheusText() {}

  static String render(List<PoolSnapshot> pools, RequestMetrics requests) {
    StringBuilder out = new StringBuilder(1024);
    header(out, MetricNames.REPLICAS, "gauge", "Replicas of each pool by state.");
    for (PoolSnapshot pool : pools) {
      Map<String, Integer> byState = new TreeMap<>();
      MetricNames.REPLICA_STATES.forEach(s -> byState.put(s, 0));
      pool.replicas().forEach(r -> byState.merge(r.state() == null ? "UNKNOWN" : r.state(), 1, Integer::sum));
      byState.forEach((state, n) -> sample(out, MetricNames.REPLICAS,
          MetricNames.POOL, pool.name(), MetricNames.STATE, state, Integer.toString(n)));
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
    return out.toString();
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
