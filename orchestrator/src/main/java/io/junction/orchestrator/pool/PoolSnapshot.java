package io.junction.orchestrator.pool;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a pool looked like at one moment.
 *
 * @param queued  calls waiting for a free replica (see the pool's max_queue)
 * @param scaling its bounds and its autoscaler's last decision, for a pool that autoscales; empty otherwise
 * @param retries retries and failovers the pool's retry budget allowed since start
 * @param retriesRefused retries and failovers it refused (the budget was spent)
 * @param discovery for a dns pool, its service and how its lookups went; empty otherwise
 */
public record PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
    PoolSpec.Affinity affinity, List<ReplicaSnapshot> replicas, int queued, Optional<Scaling> scaling, long retries,
    long retriesRefused, Optional<Discovery> discovery) {
  public PoolSnapshot {
    models = List.copyOf(models);
    Objects.requireNonNull(affinity);
    replicas = List.copyOf(replicas);
    Objects.requireNonNull(scaling);
    Objects.requireNonNull(discovery);
  }

  /** A pool that resolves no name. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
      PoolSpec.Affinity affinity, List<ReplicaSnapshot> replicas, int queued, Optional<Scaling> scaling, long retries,
      long retriesRefused) {
    this(name, kind, models, device, affinity, replicas, queued, scaling, retries, retriesRefused, Optional.empty());
  }

  /**
   * A dns pool's service and its lookups.
   *
   * @param service      host:port, as configured
   * @param resolveIntervalMillis between lookups
   * @param addresses    the last answer with addresses (the members follow it); empty before one
   * @param lastLookup   "ok", "failed" or "empty" (no address: the members were kept); empty before the first
   * @param lastError    why the last lookup found no address; empty after a good one
   * @param lastAtMillis when the last lookup answered, in milliseconds since the epoch; 0 before the first
   */
  public record Discovery(String service, long resolveIntervalMillis, List<String> addresses, String lastLookup,
      String lastError, long lastAtMillis, long okLookups, long failedLookups, long emptyLookups) {
    public Discovery {
      Objects.requireNonNull(service);
      addresses = List.copyOf(addresses);
      Objects.requireNonNull(lastLookup);
      Objects.requireNonNull(lastError);
    }
  }

  /** A pool with a fixed count of replicas that has not retried. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
      PoolSpec.Affinity affinity, List<ReplicaSnapshot> replicas, int queued) {
    this(name, kind, models, device, affinity, replicas, queued, Optional.empty(), 0, 0);
  }

  /** A pool that has not retried. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
      PoolSpec.Affinity affinity, List<ReplicaSnapshot> replicas, int queued, Optional<Scaling> scaling) {
    this(name, kind, models, device, affinity, replicas, queued, scaling, 0, 0);
  }

  /** A pool with a fixed count of replicas. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
      PoolSpec.Affinity affinity, List<ReplicaSnapshot> replicas, int queued, long retries, long retriesRefused) {
    this(name, kind, models, device, affinity, replicas, queued, Optional.empty(), retries, retriesRefused);
  }

  /**
   * An autoscaled pool's bounds and the last change its autoscaler decided (or found it could not
   * make, at a bound).
   *
   * @param lastDecision  "up", "down" or "at_limit"; empty before the first
   * @param lastReason    why, in words (how long the queue stayed above its threshold, or the room to spare)
   * @param lastAtMillis  when, in milliseconds since the epoch; 0 before the first
   */
  public record Scaling(int minReplicas, int maxReplicas, String lastDecision, String lastReason, long lastAtMillis) {
    public Scaling {
      Objects.requireNonNull(lastDecision);
      Objects.requireNonNull(lastReason);
    }
  }

  /** A pool without session affinity and with no call waiting. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
      List<ReplicaSnapshot> replicas) {
    this(name, kind, models, device, PoolSpec.Affinity.NONE, replicas, 0);
  }

  /** A pool with no call waiting. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device,
      PoolSpec.Affinity affinity, List<ReplicaSnapshot> replicas) {
    this(name, kind, models, device, affinity, replicas, 0);
  }

  /**
   * @param pid      OS pid for a local replica, 0 when unknown
   * @param endpoint host:port the replica serves on (a local replica's TCP port, for grpcurl and direct calls)
   * @param socket   the Unix domain socket the orchestrator reaches a local replica on; empty over TCP
   * @param device   the device the replica reports it really got ("cpu", "gpu:0"); empty until known
   * @param state    STARTING, READY, UNHEALTHY, RESTARTING, DRAINING, STOPPED or FAILED
   * @param ejected  out of routing for failing its calls (outlier ejection), though its state may be READY
   * @param ejection why it was ejected and when it comes back, or that it is on probation; empty otherwise
   */
  public record ReplicaSnapshot(
      String id, long pid, String endpoint, String socket, String device, String state, int inFlight, int restarts,
      String cpus, String lastError, boolean ejected, String ejection) {
    /** A replica that was not ejected. */
    public ReplicaSnapshot(String id, long pid, String endpoint, String socket, String device, String state,
        int inFlight, int restarts, String cpus, String lastError) {
      this(id, pid, endpoint, socket, device, state, inFlight, restarts, cpus, lastError, false, "");
    }

    /** The state in which a replica takes calls. */
    public static final String READY = ReplicaState.READY.name();
    /** Every state a replica can report, in lifecycle order. */
    public static final List<String> STATES =
        java.util.Arrays.stream(ReplicaState.values()).map(Enum::name).toList();
  }
}
