package io.junction.orchestrator.pool;

import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on the {@link Autoscaler} of one autoscaled local pool: samples the pool every check
 * interval, starts a replica when it says up, drains and stops one when it says down, logs each
 * decision with its reason and keeps the last for status. A replica it adds takes calls only once
 * it is READY with the pool's segment plans loaded (the factory holds it until then); a replica it
 * removes leaves routing first, and its worker stops once its calls in flight are done, so no
 * call is lost. It never goes below min_replicas or above max_replicas, and makes one change at
 * a time.
 *
 * <p>Runs on the pool's scheduler thread, which every replica's handlers share: it must not block,
 * and it needs no lock for its own fields. Only {@link #status()} is read from other threads.
 */
final class PoolScaler {
  private static final Logger log = LoggerFactory.getLogger(PoolScaler.class);

  private final Pool pool;
  private final Autoscaling policy;
  private final Autoscaler autoscaler;
  private final Scheduler scheduler;
  private final LongSupplier wallMillis;
  /** A new local replica of the pool at an index, wired to it and held out of routing until admitted. */
  private final IntFunction<LocalReplica> newReplica;

  // Event thread only.
  private LocalReplica adding;
  private Replica removing;
  private boolean stopped;
  private Scheduler.Cancellable timer = Scheduler.Cancellable.NONE;

  private volatile PoolSnapshot.Scaling status;

  PoolScaler(Pool pool, Autoscaling policy, Scheduler scheduler, LongSupplier wallMillis,
      IntFunction<LocalReplica> newReplica) {
    this.pool = pool;
    this.policy = policy;
    this.autoscaler = new Autoscaler(policy, pool.spec().maxInFlight());
    this.scheduler = scheduler;
    this.wallMillis = wallMillis;
    this.newReplica = newReplica;
    this.status = new PoolSnapshot.Scaling(policy.minReplicas(), policy.maxReplicas(), "", "", 0);
  }

  /** Starts the checks. Any thread. */
  void start() {
    scheduler.execute(this::schedule);
    log.info("pool {}: autoscaling between {} and {} replicas: up after the queue stays above {} for {}, down after"
            + " {} with room to spare, checked every {}", pool.name(), policy.minReplicas(), policy.maxReplicas(),
        policy.upscaleQueue(), Replica.seconds(policy.upscaleAfter().toNanos()),
        Replica.seconds(policy.downscaleAfter().toNanos()), Replica.seconds(policy.checkInterval().toNanos()));
  }

  /** No more checks or changes (the pools are closing). Event thread. */
  void stop() {
    stopped = true;
    timer.cancel();
  }

  /** The bounds and the last decision, for ListPools. Any thread. */
  PoolSnapshot.Scaling status() {
    return status;
  }

  private void schedule() {
    if (!stopped) {
      timer = scheduler.schedule(policy.checkInterval(), this::check);
    }
  }

  /** One check. Event thread. */
  void check() {
    if (stopped) {
      return;
    }
    try {
      List<Replica> members = pool.replicas();
      int inFlight = 0;
      for (Replica r : members) {
        inFlight += r.inFlight();
      }
      Autoscaler.Decision d = autoscaler.decide(scheduler.nanoTime(),
          new Autoscaler.Sample(members.size(), pool.queued(), inFlight, changing(members)));
      switch (d.action()) {
        case UP -> up(members, d);
        case DOWN -> down(members, d);
        case AT_LIMIT -> {
          // Said once per run at the limit: under steady overload it would come every upscale window.
          boolean again = status.lastDecision().equals("at_limit");
          record(d);
          if (again) {
            log.debug("pool {}: autoscaling holds: {}", pool.name(), d.reason());
          } else {
            log.info("pool {}: autoscaling holds: {}", pool.name(), d.reason());
          }
        }
        case HOLD -> log.debug("pool {}: autoscaling holds: {}", pool.name(), d.reason());
      }
    } finally {
      schedule();
    }
  }

  /** The change still under way, in words, or null when the last one is done. */
  private String changing(List<Replica> members) {
    if (adding != null) {
      if (adding.admitted() || adding.state().isFinal() || !members.contains(adding)) {
        adding = null;
      } else {
        return "replica " + adding.id() + " is starting (" + adding.state() + ")";
      }
    }
    if (removing != null) {
      if (!members.contains(removing)) {
        removing = null;
      } else {
        return "replica " + removing.id() + " is draining to leave (" + removing.inFlight() + " call(s) in flight)";
      }
    }
    return null;
  }

  private void up(List<Replica> members, Autoscaler.Decision d) {
    int index = Pool.freeIndex(members);
    LocalReplica r = newReplica.apply(index);
    record(d);
    log.info("pool {}: autoscaling UP: {}; starting replica {}", pool.name(), d.reason(), r.id());
    pool.add(r);
    adding = r;
    r.begin();
  }

  private void down(List<Replica> members, Autoscaler.Decision d) {
    Replica failed = members.stream().filter(r -> r.state() == ReplicaState.FAILED).findFirst().orElse(null);
    if (failed != null) {
      // A member that could not start serves nothing: it goes first, and needs no drain.
      record(d);
      log.info("pool {}: autoscaling DOWN: {}; removing FAILED replica {}", pool.name(), d.reason(), failed.id());
      pool.remove(failed);
      return;
    }
    LocalReplica victim = idlest(members);
    if (victim == null) {
      log.info("pool {}: autoscaling holds: {}, but no replica can leave now (the one left must be READY)",
          pool.name(), d.reason());
      return;
    }
    int calls = victim.inFlight();
    if (!victim.retire(() -> {
      pool.remove(victim);
      pool.replicasMoved();
    })) {
      log.info("pool {}: autoscaling holds: {}, but replica {} is {} now", pool.name(), d.reason(), victim.id(),
          victim.state());
      return;
    }
    record(d);
    removing = victim;
    log.info("pool {}: autoscaling DOWN: {}; draining replica {} ({} call(s) in flight), then stopping it",
        pool.name(), d.reason(), victim.id(), calls);
  }

  /**
   * The routable local replica with the fewest calls in flight (the newest among equals), while
   * another routable one stays; else null.
   */
  private static LocalReplica idlest(List<Replica> members) {
    LocalReplica best = null;
    int routable = 0;
    for (Replica r : members) {
      if (!r.routable()) {
        continue;
      }
      routable++;
      if (r instanceof LocalReplica l && (best == null || l.inFlight() < best.inFlight()
          || (l.inFlight() == best.inFlight() && l.index > best.index))) {
        best = l;
      }
    }
    return routable > 1 ? best : null;
  }

  private void record(Autoscaler.Decision d) {
    status = new PoolSnapshot.Scaling(policy.minReplicas(), policy.maxReplicas(),
        d.action().name().toLowerCase(Locale.ROOT), d.reason(), wallMillis.getAsLong());
  }
}
