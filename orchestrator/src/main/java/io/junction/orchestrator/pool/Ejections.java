package io.junction.orchestrator.pool;

import io.grpc.Status;
import io.junction.orchestrator.routing.OutlierDetector;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outlier ejection in one pool: feeds each call's outcome to its replica's
 * {@link OutlierDetector}, takes a replica out of routing when the detector says so (never the
 * last one of the pool that can serve: a pool keeps at least one), and readmits it on probation
 * when its ejection time is up. Every decision is logged. Only failures that are the replica's
 * fault count: UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS (a connection lost is UNAVAILABLE); the
 * user's mistakes (INVALID_ARGUMENT, NOT_FOUND, ...), the caller's deadline or cancellation, and a
 * full worker (RESOURCE_EXHAUSTED: capacity, not a fault) say nothing of the replica.
 *
 * <p>Outcomes arrive on any thread; decisions to eject are taken under one lock per pool, so two
 * replicas failing at once cannot both leave. Readmission runs on the pool's scheduler.
 */
final class Ejections {
  private static final Logger log = LoggerFactory.getLogger(Ejections.class);

  private final Pool pool;
  private final Object lock = new Object();

  Ejections(Pool pool) {
    this.pool = pool;
  }

  /** Whether a call that ended with {@code code} failed through its replica's fault. */
  static boolean isReplicaFault(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS -> true;
      default -> false;
    };
  }

  /** The replica answered a call. Any thread. */
  void succeeded(Replica r) {
    if (r.outliers.onSuccess(r.scheduler.nanoTime()) == OutlierDetector.Verdict.HEALTHY) {
      log.info("pool {}: replica {} passed its probation: back in routing for good", pool.name(), r.id());
    }
  }

  /** A call to the replica failed with {@code status}; counted only when that is the replica's fault. Any thread. */
  void failed(Replica r, Status status) {
    if (!isReplicaFault(status.getCode()) || r.state() != ReplicaState.READY) {
      // Out of routing already (UNHEALTHY: a stall, failed probes): its probes bring it back, and
      // the calls that failed as it left (a stall fails them all at once) say nothing more.
      return;
    }
    long now = r.scheduler.nanoTime();
    if (r.outliers.onFailure(now, Replica.describe(status)) == OutlierDetector.Verdict.EJECT) {
      eject(r, now);
    }
  }

  private void eject(Replica r, long now) {
    Duration time;
    synchronized (lock) {
      if (r.outliers.isEjected()) {
        return; // another failure of the same replica got here first
      }
      if (!othersRoutable(r)) {
        r.outliers.spare();
        log.warn("pool {}: replica {} kept in routing although it should be ejected: it is the last replica of the"
            + " pool that can serve (a pool keeps at least one)", pool.name(), r.id());
        return;
      }
      time = r.outliers.eject(now);
    }
    log.warn("pool {}: replica {} EJECTED from routing for {} (its ejection number {}): {}", pool.name(), r.id(),
        Replica.seconds(time.toNanos()), r.outliers.ejections(), r.outliers.reason());
    r.scheduler.schedule(time, () -> readmit(r));
  }

  /** Whether the pool has a routable replica other than {@code r}. Any thread. */
  boolean othersRoutable(Replica r) {
    for (Replica other : pool.replicas()) {
      if (other != r && other.routable()) {
        return true;
      }
    }
    return false;
  }

  private void readmit(Replica r) {
    long now = r.scheduler.nanoTime();
    if (r.outliers.isEjected() && now < r.outliers.ejectedUntil()) {
      return; // the timer of an ejection lifted early (a fresh worker); a later ejection has its own
    }
    if (r.outliers.readmit(now)) {
      log.info("pool {}: replica {} back in routing on probation ({} calls decide) after its ejection", pool.name(),
          r.id(), pool.spec().outlierEjection().probationCalls());
      pool.replicasMoved();
    }
  }
}
