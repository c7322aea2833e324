package io.junction.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives one target in closed loop (N clients, each sending its next request when the previous
 * one is answered) or open loop (requests at fixed intended times, whatever the answers do). The
 * same code serves every protocol: only {@link Target} differs.
 *
 * <p>Both loops are bounded in time (warm-up + measured period + drain) and in count
 * ({@link Plan#maxRequests}). Requests that start during the warm-up are sent but not counted.
 */
final class Driver {
  private final Ticker ticker;

  Driver(Ticker ticker) {
    this.ticker = ticker;
  }

  /**
   * How long to warm up and to measure, the most requests to send in all, and how long after the
   * measured period to wait for answers still in flight (those not answered by then are errors).
   */
  record Plan(long warmupNanos, long measureNanos, long maxRequests, long drainNanos) {
    Plan {
      if (warmupNanos < 0 || measureNanos <= 0 || maxRequests <= 0 || drainNanos < 0) {
        throw new IllegalArgumentException("plan: " + warmupNanos + "/" + measureNanos + "/" + maxRequests
            + "/" + drainNanos + " (expected: warm-up >= 0, measured period > 0, max requests > 0, drain >= 0)");
      }
    }
  }

  /**
   * One measured run. {@code rate} is the offered rate of an open loop (0 for closed);
   * {@code lateSends} counts open-loop requests that left more than 1 ms after their intended time
   * (their latency still counts from the intended time); {@code unsent} those never sent because
   * the drain deadline came first.
   */
  record Result(String mode, int clients, double rate, Recorder.Summary summary, long lateSends, long unsent) {}

  Result closedLoop(Target target, int clients, Plan plan) throws InterruptedException {
    return closedLoop(target, clients, plan, new Recorder());
  }

  /**
   * A closed-loop run that records into {@code recorder}, which may hold earlier runs: rounds that
   * alternate between two targets add up this way. The result's period is this run's alone.
   */
  Result closedLoop(Target target, int clients, Plan plan, Recorder recorder) throws InterruptedException {
    if (clients < 1) {
      throw new IllegalArgumentException("clients: " + clients + " (expected: >= 1)");
    }
    Window w = new Window(ticker.nanoTime(), plan, recorder);
    AtomicLong issued = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      new Client(target, w, issued, finished, c).next();
    }
    finished.await(Math.max(0, w.drainUntil - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    w.countUnanswered();
    return new Result("closed", clients, 0, w.summarize(), 0, 0);
  }

  Result openLoop(Target target, double rate, int maxInFlight, Plan plan) throws InterruptedException {
    if (!(rate > 0) || maxInFlight < 1) {
      throw new IllegalArgumentException("rate, max in flight: " + rate + ", " + maxInFlight
          + " (expected: > 0, >= 1)");
    }
    Window w = new Window(ticker.nanoTime(), plan, new Recorder());
    double intervalNanos = 1e9 / rate;
    Semaphore slots = new Semaphore(maxInFlight);
    long late = 0;
    long unsent = 0;
    for (long i = 0; i < plan.maxRequests(); i++) {
      long intended = w.start + (long) (i * intervalNanos);
      if (intended >= w.stopAt) {
        break;
      }
      ticker.sleepUntil(intended);
      // A full window of requests in flight holds the sender back; the wait still counts in their
      // latencies, which run from the intended time: that is what keeps the figures free of
      // coordinated omission.
      if (!slots.tryAcquire() && !slots.tryAcquire(Math.max(0, w.drainUntil - ticker.nanoTime()), TimeUnit.NANOSECONDS)) {
        unsent = (long) Math.ceil((w.stopAt - intended) / intervalNanos);
        break;
      }
      if (ticker.nanoTime() - intended > 1_000_000) {
        late++;
      }
      w.inFlight.incrementAndGet();
      target.send((int) (i % Integer.MAX_VALUE), w.outcome(intended, slots::release));
    }
    slots.tryAcquire(maxInFlight, Math.max(0, w.drainUntil - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    w.countUnanswered();
    return new Result("open", 0, rate, w.summarize(), late, unsent);
  }

  /** The time frame of one run and what was recorded in it. */
  private final class Window {
    final long start;
    final long measureFrom;
    final long stopAt;
    final long drainUntil;
    final long maxRequests;
    final Recorder recorder;
    final AtomicLong inFlight = new AtomicLong();
    /** End of the last measured answer: the measured period runs from measureFrom to here. */
    final AtomicLong lastEnd;

    Window(long start, Plan plan, Recorder recorder) {
      this.recorder = recorder;
      this.start = start;
      this.measureFrom = start + plan.warmupNanos();
      this.stopAt = measureFrom + plan.measureNanos();
      this.drainUntil = stopAt + plan.drainNanos();
      this.maxRequests = plan.maxRequests();
      this.lastEnd = new AtomicLong(measureFrom);
    }

    /** The outcome of a request sent (or meant to be sent) at {@code from}. */
    Target.Outcome outcome(long from, Runnable then) {
      return new Target.Outcome() {
        @Override
        public void ok() {
          finish(null);
        }

        @Override
        public void error(String what) {
          finish(what);
        }

        private void finish(String error) {
          long end = ticker.nanoTime();
          if (from >= measureFrom) {
            if (error == null) {
              recorder.ok(end - from);
            } else {
              recorder.error(error);
            }
            lastEnd.accumulateAndGet(end, Math::max);
          }
          inFlight.decrementAndGet();
          then.run();
        }
      };
    }

    void countUnanswered() {
      for (long n = inFlight.get(); n > 0; n--) {
        recorder.error("no answer before the drain deadline");
      }
    }

    Recorder.Summary summarize() {
      return recorder.summarize((lastEnd.get() - measureFrom) / 1e9);
    }
  }

  /**
   * One closed-loop client. Answers may arrive on the thread that sent (a call that fails at once,
   * a synchronous target), so sending goes through a drain loop rather than recursion.
   */
  private final class Client {
    private final Target target;
    private final Window w;
    private final AtomicLong issued;
    private final CountDownLatch finished;
    private final AtomicInteger pending = new AtomicInteger();
    private int nextCase;
    private boolean done;

    Client(Target target, Window w, AtomicLong issued, CountDownLatch finished, int first) {
      this.target = target;
      this.w = w;
      this.issued = issued;
      this.finished = finished;
      this.nextCase = first;
    }

    void next() {
      if (pending.getAndIncrement() != 0) {
        return;
      }
      do {
        sendOne();
      } while (pending.decrementAndGet() != 0);
    }

    private void sendOne() {
      if (done) {
        return;
      }
      long now = ticker.nanoTime();
      if (now >= w.stopAt || issued.incrementAndGet() > w.maxRequests) {
        done = true;
        finished.countDown();
        return;
      }
      w.inFlight.incrementAndGet();
      target.send(nextCase++ & Integer.MAX_VALUE, w.outcome(now, this::next));
    }
  }
}
