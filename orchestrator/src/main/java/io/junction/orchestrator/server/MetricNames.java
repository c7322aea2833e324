package io.junction.orchestrator.server;

/**
 * Every metric the orchestrator exports, in one place so that dashboards and the code agree.
 * Prometheus names: one {@code junction_} prefix, outcomes as labels, never in the name.
 */
public final class MetricNames {
  private MetricNames() {}

  /** Gauge: replicas of a pool in a state. Labels: {@link #POOL}, {@link #STATE}. */
  public static final String REPLICAS = "junction_replicas";
  /** Gauge: calls waiting in a pool's queue for a free replica. Label: {@link #POOL}. */
  public static final String POOL_QUEUED = "junction_pool_queued";
  /** Gauge: replicas of a pool out of routing for failing their calls (outlier ejection). Label: {@link #POOL}. */
  public static final String POOL_EJECTED = "junction_pool_ejected";
  /**
   * Counter: retries of a pool's calls (a pipeline step's retry, a failover to another replica),
   * by whether its retry budget allowed them. Labels: {@link #POOL}, {@link #OUTCOME}
   * ({@link #RETRIED} or {@link #REFUSED}).
   */
  public static final String POOL_RETRIES_TOTAL = "junction_pool_retries_total";
  public static final String RETRIED = "retried";
  public static final String REFUSED = "refused_by_budget";
  /**
   * Counter: lookups of a dns pool's service, by outcome: {@link #LOOKUP_OK}, {@link #LOOKUP_FAILED}
   * (the name did not resolve) or {@link #LOOKUP_EMPTY} (no address); after the last two the pool
   * kept its members. Labels: {@link #POOL}, {@link #OUTCOME}. Only while some pool is of kind dns.
   */
  public static final String POOL_DNS_LOOKUPS_TOTAL = "junction_pool_dns_lookups_total";
  public static final String LOOKUP_OK = "ok";
  public static final String LOOKUP_FAILED = "failed";
  public static final String LOOKUP_EMPTY = "empty";
  /** Counter: finished gRPC calls. Labels: {@link #SERVICE}, {@link #OUTCOME} (the status code, e.g. OK). */
  public static final String REQUESTS_TOTAL = "junction_requests_total";
  /** Summary without quantiles: time from a call's start to its close. Label: {@link #SERVICE}. */
  public static final String REQUEST_SECONDS = "junction_request_seconds";
  public static final String REQUEST_SECONDS_SUM = REQUEST_SECONDS + "_sum";
  public static final String REQUEST_SECONDS_COUNT = REQUEST_SECONDS + "_count";

  /**
   * Histogram: sizes (in rows) of the batches a worker ran for a model that batches, as the
   * worker reports them in WorkerControl Stats; {@code _sum} is the rows, {@code _count} the
   * batches. Labels: {@link #POOL}, {@link #REPLICA}, {@link #MODEL}, and {@link #LE} on buckets.
   */
  public static final String WORKER_BATCH_SIZE = "junction_worker_batch_size";
  public static final String WORKER_BATCH_SIZE_BUCKET = WORKER_BATCH_SIZE + "_bucket";
  public static final String WORKER_BATCH_SIZE_SUM = WORKER_BATCH_SIZE + "_sum";
  public static final String WORKER_BATCH_SIZE_COUNT = WORKER_BATCH_SIZE + "_count";
  /**
   * Summary without quantiles: time requests waited in a worker's batch queue; {@code _count} is
   * the requests taken into batches. Labels: {@link #POOL}, {@link #REPLICA}, {@link #MODEL}.
   */
  public static final String WORKER_BATCH_QUEUE_SECONDS = "junction_worker_batch_queue_seconds";
  public static final String WORKER_BATCH_QUEUE_SECONDS_SUM = WORKER_BATCH_QUEUE_SECONDS + "_sum";
  public static final String WORKER_BATCH_QUEUE_SECONDS_COUNT = WORKER_BATCH_QUEUE_SECONDS + "_count";
  /** Gauge: the longest any request waited in that queue since the model was loaded. Same labels. */
  public static final String WORKER_BATCH_QUEUE_SECONDS_MAX = "junction_worker_batch_queue_seconds_max";

  /** Gauge: requests admitted and not yet ended. Label: {@link #PRIORITY} (interactive or batch). */
  public static final String ADMISSION_IN_FLIGHT = "junction_admission_in_flight";
  /** Counter: requests refused at the door (RESOURCE_EXHAUSTED from admission). Label: {@link #PRIORITY}. */
  public static final String ADMISSION_REFUSED_TOTAL = "junction_admission_refused_total";
  /**
   * Counter: admitted requests that ended, by how. Label: {@link #OUTCOME} ({@code succeeded},
   * {@code failed}, or {@code cancelled} by their client or deadline).
   */
  public static final String ADMISSION_ENDED_TOTAL = "junction_admission_ended_total";

  public static final String POOL = "pool";
  public static final String PRIORITY = "priority";
  public static final String REPLICA = "replica";
  public static final String MODEL = "model";
  public static final String LE = "le";
  public static final String STATE = "state";
  public static final String SERVICE = "service";
  public static final String OUTCOME = "outcome";

  /** Every replica state, so that a state with no replica is exported as 0 rather than missing. */
  public static final java.util.List<String> REPLICA_STATES =
      io.junction.orchestrator.pool.PoolSnapshot.ReplicaSnapshot.STATES;
}
