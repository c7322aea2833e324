package io.junction.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What one measured run saw: latencies of correct answers (nanoseconds, 3 significant digits), the
 * count of errors and wrong answers, and a few error messages to show. Safe to record into from
 * any thread (the answers arrive on gRPC event loops and on the HTTP client's threads).
 */
final class Recorder {
  private static final int MAX_ERROR_KINDS = 8;
  /** Latencies above a minute are clamped: no call of ours is allowed that long anyway. */
  static final long MAX_NANOS = 60_000_000_000L;

  private final Histogram latencies = new ConcurrentHistogram(MAX_NANOS, 3);
  private final AtomicLong errors = new AtomicLong();
  private final Map<String, AtomicLong> errorKinds = new ConcurrentHashMap<>();

  void ok(long latencyNanos) {
    latencies.recordValue(Math.max(0, Math.min(latencyNanos, MAX_NANOS)));
  }

  void error(String what) {
    errors.incrementAndGet();
    AtomicLong count = errorKinds.get(what);
    if (count == null && errorKinds.size() < MAX_ERROR_KINDS) {
      count = errorKinds.computeIfAbsent(what, k -> new AtomicLong());
    }
    if (count != null) {
      count.incrementAndGet();
    }
  }

  /**
   * The figures of the run. Throughput counts correct answers only, over {@code seconds}: the
   * measured period (warm-up excluded).
   */
  Summary summarize(double seconds) {
    Histogram h = latencies.copy();
    long ok = h.getTotalCount();
    Map<String, Long> kinds = new LinkedHashMap<>();
    errorKinds.forEach((k, v) -> kinds.put(k, v.get()));
    return new Summary(
        ok,
        errors.get(),
        seconds,
        seconds > 0 ? ok / seconds : 0,
        micros(ok == 0 ? 0 : h.getMean()),
        micros(ok == 0 ? 0 : h.getValueAtPercentile(50)),
        micros(ok == 0 ? 0 : h.getValueAtPercentile(90)),
        micros(ok == 0 ? 0 : h.getValueAtPercentile(99)),
        micros(ok == 0 ? 0 : h.getValueAtPercentile(99.9)),
        micros(ok == 0 ? 0 : h.getMaxValue()),
        kinds);
  }

  private static double micros(double nanos) {
    return Math.round(nanos / 10.0) / 100.0;
  }

  /** Latencies in microseconds (two decimals); throughput in correct answers per second. */
  record Summary(
      long ok,
      long errors,
      double seconds,
      double throughput,
      double meanUs,
      double p50Us,
      double p90Us,
      double p99Us,
      double p999Us,
      double maxUs,
      Map<String, Long> errorKinds) {}
}
