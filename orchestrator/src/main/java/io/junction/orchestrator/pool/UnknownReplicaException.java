package io.junction.orchestrator.pool;

/** No pool has a replica of that id (NOT_FOUND). */
public final class UnknownReplicaException extends PoolException {
  private static final long serialVersionUID = 1L;

  public UnknownReplicaException(String replicaId, java.util.Collection<String> known) {
    super("replica_id: \"" + replicaId + "\" (expected: one of " + known.stream().sorted().toList()
        + ", as ListPools shows them)", null);
  }
}
