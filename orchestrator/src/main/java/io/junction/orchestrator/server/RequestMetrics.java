package io.junction.orchestrator.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of finished calls per service and outcome, and their total time per service. Lock-free
 * on the recording side (it runs on event loops); reading copies into sorted maps for export.
 */
final class RequestMetrics {
  record Key(String service, String outcome) {}

  private static final class Timing {
    final LongAdder count = new LongAdder();
    final LongAdder nanos = new LongAdder();
  }

  private final ConcurrentHashMap<Key, LongAdder> requests = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timing> timings = new ConcurrentHashMap<>();

  void record(String service, String outcome, long nanos) {
    requests.computeIfAbsent(new Key(service, outcome), k -> new LongAdder()).increment();
    Timing t = timings.computeIfAbsent(service, s -> new Timing());
    t.count.increment();
    t.nanos.add(Math.max(0, nanos));
  }

  /** Finished calls by service, then outcome. */
  Map<String, Map<String, Long>> requests() {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    requests.forEach((k, v) -> out.computeIfAbsent(k.service(), s -> new TreeMap<>()).put(k.outcome(), v.sum()));
    return out;
  }

  /** Per service: {count, total nanoseconds}. */
  Map<String, long[]> timings() {
    Map<String, long[]> out = new TreeMap<>();
    timings.forEach((s, t) -> out.put(s, new long[] {t.count.sum(), t.nanos.sum()}));
    return out;
  }
}
