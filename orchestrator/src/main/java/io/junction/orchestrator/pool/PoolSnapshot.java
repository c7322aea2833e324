package io.junction.orchestrator.pool;

import java.util.List;

/**
 * What a pool looked like at one moment.
 *
 * @param queued calls waiting for a free replica (see the pool's max_queue)
 */
public record PoolSnapshot(
    String name, PoolSpec.Kind kind, List<String> models, Device device, List<ReplicaSnapshot> replicas, int queued) {
  public PoolSnapshot {
    models = List.copyOf(models);
    replicas = List.copyOf(replicas);
  }

  /** A pool with no call waiting. */
  public PoolSnapshot(String name, PoolSpec.Kind kind, List<String> models, Device device, List<ReplicaSnapshot> replicas) {
    this(name, kind, models, device, replicas, 0);
  }

  /**
   * @param pid      OS pid for a local replica, 0 when unknown
   * @param endpoint host:port the replica serves on (a local replica's TCP port, for grpcurl and direct calls)
   * @param socket   the Unix domain socket the orchestrator reaches a local replica on; empty over TCP
   * @param device   the device the replica reports it really got ("cpu", "gpu:0"); empty until known
   * @param state    STARTING, READY, UNHEALTHY, RESTARTING, DRAINING, STOPPED or FAILED
   */
  public record ReplicaSnapshot(
      String id, long pid, String endpoint, String socket, String device, String state, int inFlight, int restarts, String cpus, String lastError) {
    /** The state in which a replica takes calls. */
    public static final String READY = ReplicaState.READY.name();
    /** Every state a replica can report, in lifecycle order. */
    public static final List<String> STATES =
        java.util.Arrays.stream(ReplicaState.values()).map(Enum::name).toList();
  }
}
