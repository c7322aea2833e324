package io.junction.orchestrator.pool;

import java.time.Duration;

/**
 * How long to wait before relaunching a replica whose process died: exponential from
 * {@code initial} to {@code max}, so a worker that crashes at once does not spin, and back to
 * {@code initial} once a replica has stayed READY for {@code stableAfter}, so one crash after
 * days of service is retried quickly. Times are in the injected clock's nanoseconds.
 * Not thread-safe: a replica uses it from its event thread only.
 */
final class RestartBackoff {
  static final Duration INITIAL = Duration.ofMillis(500);
  static final Duration MAX = Duration.ofSeconds(30);
  static final Duration STABLE_AFTER = Duration.ofSeconds(60);

  private final long initialNanos;
  private final long maxNanos;
  private final long stableAfterNanos;
  private int attempts;
  private boolean ready;
  private long readySince;

  RestartBackoff(Duration initial, Duration max, Duration stableAfter) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.stableAfterNanos = stableAfter.toNanos();
  }

  static RestartBackoff standard() {
    return new RestartBackoff(INITIAL, MAX, STABLE_AFTER);
  }

  /** The replica became READY at {@code nowNanos}. */
  void onReady(long nowNanos) {
    ready = true;
    readySince = nowNanos;
  }

  /** The replica's process died at {@code nowNanos}: how long to wait before the next launch. */
  Duration nextDelay(long nowNanos) {
    if (ready && nowNanos - readySince >= stableAfterNanos) {
      attempts = 0;
    }
    ready = false;
    long delay = initialNanos;
    for (int i = 0; i < attempts && delay < maxNanos; i++) {
      delay *= 2;
    }
    attempts++;
    return Duration.ofNanos(Math.min(delay, maxNanos));
  }
}
