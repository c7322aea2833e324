package io.junction.orchestrator.pool;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * A replica answered the call with an error status (or the call to it failed). Carries the
 * status so that the user's mistakes the worker found (INVALID_ARGUMENT) keep their code.
 */
public final class ReplicaCallException extends PoolException {
  private static final long serialVersionUID = 1L;
  private final transient Status status;
  private final String replicaId;
  private final List<String> failedBefore;

  public ReplicaCallException(String replicaId, Status status) {
    this(replicaId, status, List.of());
  }

  /** @param failedBefore replicas the same call failed on before it failed over to this one */
  public ReplicaCallException(String replicaId, Status status, List<String> failedBefore) {
    super("replica " + replicaId + ": " + status.getCode()
        + (status.getDescription() == null ? "" : ": " + status.getDescription())
        + (failedBefore.isEmpty() ? "" : " (after failing over from " + String.join(", ", failedBefore) + ")"),
        status.getCause());
    this.status = status;
    this.replicaId = replicaId;
    this.failedBefore = List.copyOf(failedBefore);
  }

  /** Every replica the call failed on: those it failed over from, then {@link #replicaId()}. */
  public List<String> failedReplicas() {
    List<String> all = new ArrayList<>(failedBefore);
    all.add(replicaId);
    return all;
  }

  public Status status() {
    return status;
  }

  public String replicaId() {
    return replicaId;
  }
}
