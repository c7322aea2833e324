package io.junction.bench;

import java.util.concurrent.locks.LockSupport;

/** Time as the driver sees it: injected so that tests can run the loops on a fake clock. */
interface Ticker {
  long nanoTime();

  /** Returns at or after {@code deadlineNanos} (at once if it has passed). */
  void sleepUntil(long deadlineNanos) throws InterruptedException;

  Ticker SYSTEM = new Ticker() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleepUntil(long deadlineNanos) throws InterruptedException {
      // Bounded: each park is at most the time left, and the loop ends once it has passed.
      for (long left = deadlineNanos - System.nanoTime(); left > 0; left = deadlineNanos - System.nanoTime()) {
        LockSupport.parkNanos(left);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    }
  };
}
