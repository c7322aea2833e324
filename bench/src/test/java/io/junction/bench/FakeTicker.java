package io.junction.bench;

/** A clock that moves only when told to, or when the driver sleeps until a later time. */
final class FakeTicker implements Ticker {
  private long now = 1_000_000_000L;

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized void sleepUntil(long deadlineNanos) {
    now = Math.max(now, deadlineNanos);
  }

  synchronized void advance(long nanos) {
    now += nanos;
  }
}
