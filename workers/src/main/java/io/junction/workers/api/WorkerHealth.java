package io.junction.workers.api;

import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.v1.WorkerControlGrpc;

/**
 * The standard gRPC health service of a worker: the whole server ("") and each of its two
 * services. Kubernetes probes and load balancers read it; the orchestrator uses ServerReady.
 */
public final class WorkerHealth {
  private static final String INFERENCE = GRPCInferenceServiceGrpc.SERVICE_NAME;
  private static final String CONTROL = WorkerControlGrpc.SERVICE_NAME;

  private final HealthStatusManager manager = new HealthStatusManager();

  public WorkerHealth() {
    manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    manager.setStatus(INFERENCE, ServingStatus.NOT_SERVING);
    manager.setStatus(CONTROL, ServingStatus.SERVING);
  }

  public BindableService service() {
    return manager.getHealthService();
  }

  /** Every model it starts with is loaded. */
  public void serving() {
    manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    manager.setStatus(INFERENCE, ServingStatus.SERVING);
  }

  /** Draining: inference stops, control still answers. */
  public void draining() {
    manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    manager.setStatus(INFERENCE, ServingStatus.NOT_SERVING);
  }

  /** Shutting down: NOT_SERVING for good. */
  public void terminal() {
    manager.enterTerminalState();
  }
}
