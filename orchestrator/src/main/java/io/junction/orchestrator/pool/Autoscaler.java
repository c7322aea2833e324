package io.junction.orchestrator.pool;

import java.util.Objects;

/**
 * The decisions of one autoscaled pool, from samples of its queue and calls in flight taken
 * every {@link Autoscaling#checkInterval()}: add a replica when the queue has stayed above
 * {@link Autoscaling#upscaleQueue()} at every check for {@link Autoscaling#upscaleAfter()}; remove
 * one when, at every check for {@link Autoscaling#downscaleAfter()} (the cool-down), nothing
 * queued and the calls in flight would have fitted in one replica fewer; else hold. One change
 * at a time: while a replica the autoscaler added is starting, or one it removes is draining, it
 * holds, and the windows start again once that change is done, so a queue that built up while a
 * replica started is judged afresh against the pool it now has.
 *
 * <p>Pure: time is the caller's (scheduler nanos), nothing is started or stopped here, so every
 * decision is tested with a fake clock. Not thread-safe: the pool's event thread owns it.
 */
final class Autoscaler {
  enum Action {
    /** Start one replica. */
    UP,
    /** Drain and stop one replica. */
    DOWN,
    /** Nothing to do, or a window still running. */
    HOLD,
    /** The queue called for one more replica, but the pool is at max_replicas already. */
    AT_LIMIT
  }

  /**
   * What the pool looked like at one check.
   *
   * @param replicas members of the pool, whatever their state (a starting one counts)
   * @param queued   calls waiting for a slot
   * @param inFlight calls in flight on all its replicas
   * @param changing the change under way (a replica starting or draining), or null for none
   */
  record Sample(int replicas, int queued, int inFlight, String changing) {}

  /** What to do and why, in words for the log and for status. */
  record Decision(Action action, String reason) {
    Decision {
      Objects.requireNonNull(action);
      Objects.requireNonNull(reason);
    }
  }

  private final Autoscaling policy;
  private final int maxInFlight;

  /** When the current run of checks with a queue began, or -1. */
  private long queueingSince = -1;
  private int queueLow;
  private int queueHigh;
  /** When the current run of checks with room to spare began, or -1. */
  private long roomSince = -1;
  private int inFlightHigh;

  Autoscaler(Autoscaling policy, int maxInFlight) {
    this.policy = Objects.requireNonNull(policy);
    this.maxInFlight = maxInFlight;
  }

  Decision decide(long nowNanos, Sample s) {
    if (s.changing() != null) {
      reset();
      return new Decision(Action.HOLD, s.changing() + "; one change at a time");
    }
    if (s.queued() > policy.upscaleQueue()) {
      roomSince = -1;
      return queueing(nowNanos, s);
    }
    queueingSince = -1;
    if (s.queued() == 0 && s.inFlight() <= (s.replicas() - 1) * maxInFlight) {
      return room(nowNanos, s);
    }
    roomSince = -1;
    return new Decision(Action.HOLD, "busy: " + s.queued() + " queued, " + s.inFlight() + " in flight on "
        + s.replicas() + " replica(s)");
  }

  private Decision queueing(long now, Sample s) {
    if (queueingSince < 0) {
      queueingSince = now;
      queueLow = s.queued();
      queueHigh = s.queued();
    } else {
      queueLow = Math.min(queueLow, s.queued());
      queueHigh = Math.max(queueHigh, s.queued());
    }
    long lasted = now - queueingSince;
    if (lasted < policy.upscaleAfter().toNanos()) {
      return new Decision(Action.HOLD, "queue above " + policy.upscaleQueue() + " for " + Replica.seconds(lasted)
          + " of " + Replica.seconds(policy.upscaleAfter().toNanos()));
    }
    String why = "queue above " + policy.upscaleQueue() + " at every check for " + Replica.seconds(lasted)
        + " (" + range(queueLow, queueHigh) + " calls waiting)";
    queueingSince = -1;
    if (s.replicas() >= policy.maxReplicas()) {
      return new Decision(Action.AT_LIMIT, why + ", but the pool is at max_replicas " + policy.maxReplicas());
    }
    return new Decision(Action.UP, why + ": " + s.replicas() + " -> " + (s.replicas() + 1) + " replicas");
  }

  private Decision room(long now, Sample s) {
    if (s.replicas() <= policy.minReplicas()) {
      roomSince = -1;
      return new Decision(Action.HOLD, "at min_replicas " + policy.minReplicas());
    }
    if (roomSince < 0) {
      roomSince = now;
      inFlightHigh = s.inFlight();
    } else {
      inFlightHigh = Math.max(inFlightHigh, s.inFlight());
    }
    long lasted = now - roomSince;
    if (lasted < policy.downscaleAfter().toNanos()) {
      return new Decision(Action.HOLD, "room to spare for " + Replica.seconds(lasted) + " of "
          + Replica.seconds(policy.downscaleAfter().toNanos()));
    }
    roomSince = -1;
    return new Decision(Action.DOWN, "room to spare at every check for " + Replica.seconds(lasted)
        + " (nothing queued, at most " + inFlightHigh + " call(s) in flight, which " + (s.replicas() - 1)
        + " replica(s) of max_in_flight " + maxInFlight + " hold): " + s.replicas() + " -> " + (s.replicas() - 1)
        + " replicas");
  }

  private void reset() {
    queueingSince = -1;
    roomSince = -1;
  }

  private static String range(int low, int high) {
    return low == high ? Integer.toString(low) : low + " to " + high;
  }
}
