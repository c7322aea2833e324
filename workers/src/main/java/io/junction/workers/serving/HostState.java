package io.junction.workers.serving;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The lifecycle of a {@link ModelHost}, with the transitions it allows. */
enum HostState {
  /** Loading the models it starts with; not ready. */
  STARTING,
  /** Every model it started with is loaded; takes calls. */
  SERVING,
  /** Takes no new calls; finishes those in flight. */
  DRAINING,
  /** Executor stopped, models unloaded. */
  CLOSED;

  private static final Map<HostState, Set<HostState>> NEXT = Map.of(
      STARTING, EnumSet.of(SERVING, DRAINING, CLOSED),
      SERVING, EnumSet.of(DRAINING, CLOSED),
      DRAINING, EnumSet.of(CLOSED),
      CLOSED, EnumSet.noneOf(HostState.class));

  boolean canBecome(HostState next) {
    return NEXT.get(this).contains(next);
  }
}
