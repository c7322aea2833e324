package io.junction.orchestrator.pool;

import io.junction.orchestrator.routing.Picker;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One pool: its replicas and how a call picks one. */
final class Pool {
  private final PoolSpec spec;
  private final List<Replica> replicas;
  private final Picker picker;

  Pool(PoolSpec spec, List<Replica> replicas, Picker picker) {
    this.spec = spec;
    this.replicas = List.copyOf(replicas);
    this.picker = picker;
  }

  String name() {
    return spec.name();
  }

  PoolSpec spec() {
    return spec;
  }

  List<Replica> replicas() {
    return replicas;
  }

  /**
   * How a pool of {@code spec} picks a replica: least outstanding requests, and with
   * {@code affinity: session} a request that names a session goes by that session first.
   */
  static Picker pickerFor(PoolSpec spec) {
    Picker leastOutstanding = Picker.leastOutstanding(spec.maxInFlight());
    return switch (spec.affinity()) {
      case NONE -> leastOutstanding;
      case SESSION -> Picker.sessionAffinity(spec.maxInFlight(), leastOutstanding);
    };
  }

  /**
   * A READY replica with a call slot claimed for the caller, or null when none can take a
   * call. The picker chooses on counts that may be stale by the time we claim; a lost race
   * picks again, at most once per replica.
   *
   * @param affinityKey the session the call belongs to, for a pool with session affinity; null for none
   */
  Replica acquire(String affinityKey) {
    List<Replica> ready = new ArrayList<>(replicas.size());
    for (Replica r : replicas) {
      if (r.state() == ReplicaState.READY) {
        ready.add(r);
      }
    }
    for (int attempt = 0; attempt < ready.size(); attempt++) {
      Optional<Replica> choice = picker.pick(ready, affinityKey);
      if (choice.isEmpty()) {
        return null;
      }
      if (choice.get().tryAcquire(spec.maxInFlight())) {
        return choice.get();
      }
    }
    return null;
  }

  /** Why {@link #acquire} found nothing, for the error message. */
  boolean hasReady() {
    for (Replica r : replicas) {
      if (r.state() == ReplicaState.READY) {
        return true;
      }
    }
    return false;
  }

  String unavailableDetail() {
    int ready = 0;
    StringBuilder others = new StringBuilder();
    for (Replica r : replicas) {
      if (r.state() == ReplicaState.READY) {
        ready++;
      } else {
        others.append(others.length() == 0 ? "" : ", ").append(r.id()).append(' ').append(r.state());
      }
    }
    if (ready > 0) {
      return ready + " READY replica(s) at their limit of " + spec.maxInFlight() + " calls in flight"
          + (others.length() == 0 ? "" : "; " + others);
    }
    return "0 of " + replicas.size() + " replicas READY: " + others;
  }

  PoolSnapshot snapshot() {
    List<PoolSnapshot.ReplicaSnapshot> rs = new ArrayList<>(replicas.size());
    for (Replica r : replicas) {
      rs.add(r.snapshot());
    }
    return new PoolSnapshot(spec.name(), spec.kind(), spec.models(), spec.device(), spec.affinity(), rs);
  }
}
