package io.junction.orchestrator.api;

import io.junction.orchestrator.pool.PoolSnapshot;
import java.util.List;
import java.util.Optional;

/**
 * What "ready" means, in one place for the Open Inference Protocol's ServerReady/ModelReady,
 * the gRPC health service and the HTTP /readyz: a pool is ready when one of its replicas is READY.
 */
public final class PoolReadiness {
  private PoolReadiness() {}

  public static boolean isReady(PoolSnapshot pool) {
    return pool.replicas().stream().anyMatch(r -> PoolSnapshot.ReplicaSnapshot.READY.equals(r.state()));
  }

  /** True when every pool has a READY replica. */
  public static boolean allReady(List<PoolSnapshot> pools) {
    return pools.stream().allMatch(PoolReadiness::isReady);
  }

  /** The pool's readiness, or empty when no pool has that name. */
  public static Optional<Boolean> isReady(List<PoolSnapshot> pools, String pool) {
    return pools.stream().filter(p -> p.name().equals(pool)).findFirst().map(PoolReadiness::isReady);
  }
}
