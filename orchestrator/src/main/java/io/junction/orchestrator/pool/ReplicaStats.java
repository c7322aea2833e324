package io.junction.orchestrator.pool;

import io.junction.proto.v1.StatsResponse;
import java.util.Objects;

/**
 * What one replica's worker said about itself ({@code WorkerControl.Stats}) when last asked.
 *
 * @param pool the pool it belongs to
 * @param replica its id, as in {@link PoolSnapshot.ReplicaSnapshot#id()}
 */
public record ReplicaStats(String pool, String replica, StatsResponse stats) {
  public ReplicaStats {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(stats, "stats");
  }
}
