package io.junction.orchestrator.pool;

import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.orchestrator.routing.RetryBudgetPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One pool as configured: validated by the config loader before it gets here, so the pool
 * code trusts it. Immutable.
 *
 * @param name         unique pool name
 * @param kind         local (spawned here), static (host:port list) or dns (the addresses a name resolves to)
 * @param models       models every replica serves
 * @param replicas     replica count for a local pool; for static pools, endpoints.size(); 1 for a dns pool,
 *                     whose count is the resolver's (it sizes the pool's retry budget as one member's)
 * @param device       what each replica asks for
 * @param fallbackCpu  a GPU replica without a GPU runs on the CPU instead of failing
 * @param cpus         per-replica CPU affinity lists ("0", "0-1", "2,3"); empty means unpinned;
 *                     one entry applies to every replica, otherwise one entry per replica
 * @param endpoints    host:port of each member of a static pool
 * @param repository   model repository a local replica loads from
 * @param maxInFlight  requests one replica may have outstanding before it counts as full
 * @param healthInterval how often each replica is probed
 * @param startTimeout how long a local replica may take to become READY
 * @param jvmOptions   extra JVM options for local replicas (for example -Xmx512m)
 * @param batching     local replicas batch the models whose model.yaml asks for it; false starts
 *                     them with {@code --batching off} (to measure what batching brings)
 * @param affinity     how a request that names a session picks its replica
 * @param maxQueue     calls that may wait for a slot while every READY replica is at maxInFlight;
 *                     0 refuses them at once. The config derives it from admission (see
 *                     {@code AdmissionConfig#queueBound}) unless it gives one at least as large
 * @param outlierEjection when a replica whose calls fail leaves routing, and for how long
 * @param health       how many failed (or slow) probes take a replica out of routing, and when one is killed
 * @param autoscaling  for a local pool that grows and shrinks, its bounds and policy ({@code replicas} is then the
 *                     count it starts with); empty for a fixed count
 * @param retryBudget  how many retries (a step's, a failover's) the pool allows beside its calls
 * @param batchMaxInFlight a request of batch priority goes to a replica only while it has fewer than
 *                     this many outstanding, of any priority (1 to maxInFlight): the rest of its
 *                     slots are kept for interactive work. The config derives it from
 *                     {@code admission.batch_share}; maxInFlight (no reserve) when not given
 * @param service      for a dns pool, the name it resolves and how often; empty for the other kinds
 */
public record PoolSpec(
    String name,
    Kind kind,
    List<String> models,
    int replicas,
    Device device,
    boolean fallbackCpu,
    List<String> cpus,
    List<String> endpoints,
    Optional<Path> repository,
    int maxInFlight,
    Duration healthInterval,
    Duration startTimeout,
    List<String> jvmOptions,
    boolean batching,
    Affinity affinity,
    int maxQueue,
    OutlierPolicy outlierEjection,
    HealthPolicy health,
    Optional<Autoscaling> autoscaling,
    RetryBudgetPolicy retryBudget,
    int batchMaxInFlight,
    Optional<DnsService> service) {

  public enum Kind { LOCAL, STATIC, DNS }

  /** Calls a pool queues for a free replica unless its config says otherwise. */
  public static final int DEFAULT_MAX_QUEUE = 1024;
  /** The most a config may give for max_queue. */
  public static final int MAX_QUEUE_LIMIT = 1_000_000;

  /** Where a request that names a session goes. */
  public enum Affinity {
    /** Like any other request: least outstanding requests. */
    NONE,
    /** To one replica per session while it is READY (rendezvous hashing), spilling by rank when it is full. */
    SESSION;

    /** As the config file and ListPools write it: none, session. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A pool with batching left on, the default. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, true);
  }

  /** A pool without session affinity, the default. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, Affinity.NONE);
  }

  /** A pool with the default queue. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, DEFAULT_MAX_QUEUE);
  }

  /** A pool with the default outlier ejection and health policy. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity, int maxQueue) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, maxQueue, OutlierPolicy.DEFAULT, HealthPolicy.DEFAULT);
  }

  /** A pool with a fixed count of replicas and the default retry budget. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity, int maxQueue,
      OutlierPolicy outlierEjection, HealthPolicy health) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, maxQueue, outlierEjection, health, Optional.empty(),
        RetryBudgetPolicy.DEFAULT);
  }

  /** An autoscaled (or fixed) pool with the default retry budget. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity, int maxQueue,
      OutlierPolicy outlierEjection, HealthPolicy health, Optional<Autoscaling> autoscaling) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, maxQueue, outlierEjection, health, autoscaling,
        RetryBudgetPolicy.DEFAULT);
  }

  /** A pool with a fixed count of replicas and its own retry budget. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity, int maxQueue,
      OutlierPolicy outlierEjection, HealthPolicy health, RetryBudgetPolicy retryBudget) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, maxQueue, outlierEjection, health, Optional.empty(), retryBudget);
  }

  /** A pool whose replicas keep no slots for interactive work: batch calls may take every one. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity, int maxQueue,
      OutlierPolicy outlierEjection, HealthPolicy health, Optional<Autoscaling> autoscaling,
      RetryBudgetPolicy retryBudget) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, maxQueue, outlierEjection, health, autoscaling, retryBudget,
        maxInFlight);
  }

  /** A local or static pool: no name to resolve. */
  public PoolSpec(String name, Kind kind, List<String> models, int replicas, Device device, boolean fallbackCpu,
      List<String> cpus, List<String> endpoints, Optional<Path> repository, int maxInFlight, Duration healthInterval,
      Duration startTimeout, List<String> jvmOptions, boolean batching, Affinity affinity, int maxQueue,
      OutlierPolicy outlierEjection, HealthPolicy health, Optional<Autoscaling> autoscaling,
      RetryBudgetPolicy retryBudget, int batchMaxInFlight) {
    this(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight, healthInterval,
        startTimeout, jvmOptions, batching, affinity, maxQueue, outlierEjection, health, autoscaling, retryBudget,
        batchMaxInFlight, Optional.empty());
  }

  public PoolSpec {
    Objects.requireNonNull(name);
    Objects.requireNonNull(kind);
    models = List.copyOf(models);
    cpus = List.copyOf(cpus);
    endpoints = List.copyOf(endpoints);
    jvmOptions = List.copyOf(jvmOptions);
    Objects.requireNonNull(device);
    Objects.requireNonNull(repository);
    Objects.requireNonNull(healthInterval);
    Objects.requireNonNull(startTimeout);
    Objects.requireNonNull(affinity);
    Objects.requireNonNull(outlierEjection);
    Objects.requireNonNull(health);
    Objects.requireNonNull(autoscaling);
    Objects.requireNonNull(retryBudget);
    Objects.requireNonNull(service);
    if (service.isPresent() != (kind == Kind.DNS)) {
      throw new IllegalArgumentException("pool " + name + ": service: " + service.map(DnsService::name).orElse("none")
          + " for a " + kind + " pool (expected: a service for a dns pool, and only there)");
    }
  }

  /** The most replicas the pool can have at once: its count, or its max_replicas when it autoscales. */
  public int maxReplicas() {
    return autoscaling.map(Autoscaling::maxReplicas).orElse(replicas);
  }

  /** This pool with another queue bound (what the config derives from admission). */
  public PoolSpec withMaxQueue(int newMaxQueue) {
    return new PoolSpec(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight,
        healthInterval, startTimeout, jvmOptions, batching, affinity, newMaxQueue, outlierEjection, health, autoscaling,
        retryBudget, batchMaxInFlight, service);
  }

  /**
   * This pool with batch work limited to {@code share} of each replica's slots (what the config
   * derives from {@code admission.batch_share}): {@code share} x maxInFlight, rounded, at least one.
   */
  public PoolSpec withBatchShare(double share) {
    int batch = (int) Math.max(1, Math.min(maxInFlight, Math.round(maxInFlight * share)));
    return new PoolSpec(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight,
        healthInterval, startTimeout, jvmOptions, batching, affinity, maxQueue, outlierEjection, health, autoscaling,
        retryBudget, batch, service);
  }

  /** The affinity of replica {@code index}, if pinned. */
  public Optional<String> cpusOf(int index) {
    if (cpus.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(cpus.size() == 1 ? cpus.get(0) : cpus.get(index));
  }
}
