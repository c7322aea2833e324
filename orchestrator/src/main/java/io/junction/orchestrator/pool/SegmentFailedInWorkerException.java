package io.junction.orchestrator.pool;

import io.grpc.Status;

/**
 * A fused segment failed inside its worker: the status description is the worker engine's own
 * message, naming the pipeline and the step, and the status code is that step's error's.
 */
public final class SegmentFailedInWorkerException extends PoolException {
  private static final long serialVersionUID = 1L;
  private final transient Status status;
  private final String replicaId;

  public SegmentFailedInWorkerException(String replicaId, Status status) {
    super(status.getDescription() == null ? status.getCode().toString() : status.getDescription(), null);
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
