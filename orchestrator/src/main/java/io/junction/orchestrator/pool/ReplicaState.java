package io.junction.orchestrator.pool;

import java.util.EnumSet;
import java.util.Set;

/**
 * A replica's lifecycle. The allowed moves are the whole table below; anything else is a bug
 * in the pool and is refused.
 *
 * <pre>
 * STARTING   → READY, UNHEALTHY, RESTARTING, DRAINING, FAILED
 * READY      → UNHEALTHY, RESTARTING, DRAINING, FAILED
 * UNHEALTHY  → READY, RESTARTING, DRAINING, FAILED
 * RESTARTING → STARTING, DRAINING
 * DRAINING   → STOPPED, STARTING (a local replica replaced by a fresh worker after DrainReplica)
 * STOPPED, FAILED: final
 * </pre>
 *
 * Only READY replicas take calls. UNHEALTHY is "alive as far as we know but failing its
 * probes": out of routing until a probe passes. FAILED is a replica that a restart cannot
 * fix (the worker said its configuration is wrong), so it is never restarted.
 */
enum ReplicaState {
  STARTING,
  READY,
  UNHEALTHY,
  RESTARTING,
  DRAINING,
  STOPPED,
  FAILED;

  private Set<ReplicaState> next;

  static {
    STARTING.next = EnumSet.of(READY, UNHEALTHY, RESTARTING, DRAINING, FAILED);
    READY.next = EnumSet.of(UNHEALTHY, RESTARTING, DRAINING, FAILED);
    UNHEALTHY.next = EnumSet.of(READY, RESTARTING, DRAINING, FAILED);
    RESTARTING.next = EnumSet.of(STARTING, DRAINING);
    DRAINING.next = EnumSet.of(STOPPED, STARTING);
    STOPPED.next = EnumSet.noneOf(ReplicaState.class);
    FAILED.next = EnumSet.noneOf(ReplicaState.class);
  }

  boolean canMoveTo(ReplicaState target) {
    return next.contains(target);
  }

  boolean isFinal() {
    return next.isEmpty();
  }
}
