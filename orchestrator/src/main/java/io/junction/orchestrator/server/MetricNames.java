package io.junction.orchestrator.server;

/**
 * Every metric the orchestrator exports, in one place so that dashboards and the code agree.
 * Prometheus names: one {@code junction_} prefix, outcomes as labels, never in the name.
 */
public final class MetricNames {
  private MetricNames() {}

  /** Gauge: replicas of a pool in a state. Labels: {@link #POOL}, {@link #STATE}. */
  public static final String REPLICAS = "junction_replicas";
  /** Counter: finished gRPC calls. Labels: {@link #SERVICE}, {@link #OUTCOME} (the status code, e.g. OK). */
  public static final String REQUESTS_TOTAL = "junction_requests_total";
  /** Summary without quantiles: time from a call's start to its close. Label: {@link #SERVICE}. */
  public static final String REQUEST_SECONDS = "junction_request_seconds";
  public static final String REQUEST_SECONDS_SUM = REQUEST_SECONDS + "_sum";
  public static final String REQUEST_SECONDS_COUNT = REQUEST_SECONDS + "_count";

  public static final String POOL = "pool";
  public static final String STATE = "state";
  public static final String SERVICE = "service";
  public static final String OUTCOME = "outcome";

  /** Every replica state, so that a state with no replica is exported as 0 rather than missing. */
  public static final java.util.List<String> REPLICA_STATES =
      io.junction.orchestrator.pool.PoolSnapshot.ReplicaSnapshot.STATES;
}
