package io.junction.orchestrator.pool;

/**
 * A member of a static pool: an address of an Open Inference Protocol server that someone
 * else runs (another Junction worker, Triton, MLServer). Probed like a local replica, never
 * launched or restarted: an unreachable member is UNHEALTHY until it answers again. Its pid and
 * device come from WorkerControl.Stats when it serves that (a Junction worker), else stay
 * unknown.
 */
class StaticReplica extends Replica {
  private final String address;

  StaticReplica(PoolSpec spec, int index, Scheduler scheduler, WorkerChannels channels) {
    this(spec, index, spec.endpoints().get(index), scheduler, channels);
  }

  /** @param address its host:port */
  StaticReplica(PoolSpec spec, int index, String address, Scheduler scheduler, WorkerChannels channels) {
    super(spec, index, scheduler, channels);
    this.address = address;
    this.endpoint = address;
  }

  @Override
  void begin() {
    if (closing) {
      return;
    }
    connect(address, "");
    probe(client);
    startHealthChecks();
  }

  @Override
  protected void onStartingProbe(boolean ready, String error) {
    if (ready) {
      if (lifecycle.transition(ReplicaState.STARTING, ReplicaState.READY)) {
        lastError = "";
        log.info("pool {}: member {} at {} READY", spec.name(), id, address);
        onReady();
      }
    } else if (lifecycle.transition(ReplicaState.STARTING, ReplicaState.UNHEALTHY)) {
      lastError = "health check: " + error;
      log.warn("pool {}: member {} at {} not ready: {}", spec.name(), id, address, error);
    }
    settled.complete(null);
  }

  @Override
  protected void onReady() {
    WorkerClient c = client;
    c.stats(spec.health().probeTimeout()).whenComplete((stats, t) -> {
      if (t != null) {
        return; // not a Junction worker (UNIMPLEMENTED) or busy: pid and device stay unknown
      }
      scheduler.execute(() -> {
        if (c == client) {
          pid = stats.getPid();
          device = stats.getDevice();
          if (!stats.getCpus().isEmpty()) {
            cpus = stats.getCpus();
          }
        }
      });
    });
  }
}
