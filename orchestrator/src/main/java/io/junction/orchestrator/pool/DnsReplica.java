package io.junction.orchestrator.pool;

/**
 * A member of a dns pool: a static member at one address its service resolved to. It leaves
 * when the address leaves the answer ({@link #leave}): out of routing at once, its calls in
 * flight finish (at most {@link Replica#DRAIN_GRACE}), then its channel is closed. Its worker is
 * not told to drain: whoever runs it (Kubernetes) decides its life, and other orchestrators may
 * still use it. A call that finds its connection gone asks the pool to look the name up soon,
 * since a replaced pod comes back at another address.
 */
final class DnsReplica extends StaticReplica {
  private final String address;
  private final Runnable connectionFailed;
  /** What to run once it is gone, set by {@link #leave}; null while it belongs to the pool. Event thread. */
  private Runnable whenGone;

  /**
   * @param address          the IP address the service resolved to
   * @param connectionFailed run when a call found the member unreachable (any thread)
   */
  DnsReplica(PoolSpec spec, int index, String address, Scheduler scheduler, WorkerChannels channels,
      Runnable connectionFailed) {
    super(spec, index, spec.service().orElseThrow().endpointOf(address), scheduler, channels);
    this.address = address;
    this.connectionFailed = connectionFailed;
  }

  /** The IP address it was resolved as. */
  String address() {
    return address;
  }

  /** Whether it is leaving the pool (or has left). Event thread. */
  boolean leaving() {
    return whenGone != null;
  }

  @Override
  void probeSoon() {
    super.probeSoon();
    connectionFailed.run();
  }

  /**
   * Leaves the pool: drained if it may have calls (READY or UNHEALTHY), stopped at once if it
   * never took one (STARTING), gone at once if it is STOPPED already (drained by DrainReplica);
   * {@code gone} runs on the event thread when it is STOPPED and disconnected. Event thread; once.
   */
  void leave(Runnable gone) {
    whenGone = gone;
    ReplicaState s = state();
    if (s == ReplicaState.READY || s == ReplicaState.UNHEALTHY) {
      if (startDrain(false)) {
        return;
      }
      s = state(); // moved meanwhile (a DrainReplica): handled below
    }
    if (s == ReplicaState.STARTING && lifecycle.transition(ReplicaState.STARTING, ReplicaState.DRAINING)) {
      log.info("pool {}: member {} at {} leaves before it was READY", spec.name(), id, endpoint);
      drained();
    } else if (state().isFinal()) {
      gone();
    }
    // else DRAINING: drained() follows
  }

  @Override
  protected void drained() {
    super.drained();
    settled.complete(null);
    if (state().isFinal()) {
      gone();
    }
  }

  private void gone() {
    Runnable g = whenGone;
    if (g != null) {
      whenGone = () -> {};
      g.run();
    }
  }
}
