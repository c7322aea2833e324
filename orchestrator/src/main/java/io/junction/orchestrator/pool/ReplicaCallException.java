package io.junction.orchestrator.pool;

import io.grpc.Status;

/**
 * A replica answered the call with an error status (or the call to it failed). Carries the
 * status so that the user's mistakes the worker found (INVALID_ARGUMENT) keep their code.
 */
public final class ReplicaCallException extends PoolException {
  private static final long serialVersionUID = 1L;
  private final transient Status status;
  private final String replicaId;

  public ReplicaCallException(String replicaId, Status status) {
    super("replica " + replicaId + ": " + status.getCode()
        + (status.getDescription() == null ? "" : ": " + status.getDescription()), status.getCause());
    this.status = status;
    this.replicaId = replicaId;
  }

  public Status status() {
    return status;
  }

  public String replicaId() {
    return replicaId;
  }
}
