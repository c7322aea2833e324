package io.junction.orchestrator.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.Context;
import io.grpc.Deadline;
import io.junction.orchestrator.routing.Picker;
import io.junction.orchestrator.routing.RetryBudget;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool: its replicas, how a call picks one, and the calls waiting for a slot. When every
 * READY replica is at {@code max_in_flight}, a call waits in a bounded first-in first-out queue
 * ({@code max_queue}) instead of failing at once, as Triton's scheduler queues; the slot a
 * finishing call gives back goes to the oldest waiter. Only a full queue answers
 * {@link PoolSaturatedException}. A waiter whose deadline passed, or whose caller gave up, is
 * dropped when its turn comes, not sent. A replica takes calls while it is
 * {@link Replica#routable() routable}: READY and not ejected for failing its calls
 * ({@link Ejections}). A retry avoids the replicas its call failed on while another is routable,
 * and spends a token of the pool's {@link RetryBudget}.
 */
final class Pool {
  private static final Logger log = LoggerFactory.getLogger(Pool.class);
  private final PoolSpec spec;
  private final List<Replica> replicas;
  private final Picker picker;
  private final Ejections ejections;
  private final RetryBudget retryBudget;
  private final Object queueLock = new Object();
  @GuardedBy("queueLock")
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  /** waiting.size(), readable without the lock: the fast path skips the queue when it is empty. */
  private volatile int queued;

  /**
   * A call waiting for a slot, until when it may wait, its session, and the gRPC context it came in: the
   * call it starts must belong to its own request, not to the finishing call whose thread
   * hands it the slot (that call's context is cancelled as soon as its request is answered,
   * and would cancel this one with it).
   */
  private record Waiter(CompletableFuture<Replica> slot, Deadline deadline, String affinityKey, Set<String> avoid,
      Context context) {}

  Pool(PoolSpec spec, List<Replica> replicas, Picker picker) {
    this(spec, replicas, picker, System::nanoTime);
  }

  /** @param nanoTime the clock of the pool's retry budget */
  Pool(PoolSpec spec, List<Replica> replicas, Picker picker, LongSupplier nanoTime) {
    this.spec = spec;
    this.replicas = List.copyOf(replicas);
    this.picker = picker;
    this.ejections = new Ejections(this);
    this.retryBudget = new RetryBudget(spec.retryBudget(), Math.max(1, replicas.size() * spec.maxInFlight()), nanoTime);
  }

  String name() {
    return spec.name();
  }

  PoolSpec spec() {
    return spec;
  }

  List<Replica> replicas() {
    return replicas;
  }

  /**
   * How a pool of {@code spec} picks a replica: least outstanding requests, and with
   * {@code affinity: session} a request that names a session goes by that session first.
   */
  static Picker pickerFor(PoolSpec spec) {
    Picker leastOutstanding = Picker.leastOutstanding(spec.maxInFlight());
    return switch (spec.affinity()) {
      case NONE -> leastOutstanding;
      case SESSION -> Picker.sessionAffinity(spec.maxInFlight(), leastOutstanding);
    };
  }

  /**
   * A READY replica with a call slot claimed for the caller, or null when none can take a
   * call. The picker chooses on counts that may be stale by the time we claim; a lost race
   * picks again, at most once per replica.
   *
   * @param affinityKey the session the call belongs to, for a pool with session affinity; null for none
   */
  private Replica acquire(String affinityKey) {
    return acquire(affinityKey, Set.of(), false);
  }

  /**
   * As {@link #acquire(String)}, choosing none of the replicas named in {@code avoid} (those the
   * call failed on) while another is routable, even if that one is full (the call then waits for
   * it); when none other is routable, one of them after all unless {@code strict}.
   */
  private Replica acquire(String affinityKey, Set<String> avoid, boolean strict) {
    List<Replica> ready = new ArrayList<>(replicas.size());
    List<Replica> avoided = null;
    for (Replica r : replicas) {
      if (!r.routable()) {
        continue;
      }
      if (avoid.isEmpty() || !avoid.contains(r.id())) {
        ready.add(r);
      } else {
        (avoided == null ? avoided = new ArrayList<>(avoid.size()) : avoided).add(r);
      }
    }
    if (ready.isEmpty() && avoided != null && !strict) {
      log.debug("pool {}: no routable replica but {}, on which this call failed: trying it again", name(), avoid);
      ready = avoided;
    }
    for (int attempt = 0; attempt < ready.size(); attempt++) {
      Optional<Replica> choice = picker.pick(ready, affinityKey);
      if (choice.isEmpty()) {
        return null;
      }
      if (choice.get().tryAcquire(spec.maxInFlight())) {
        return choice.get();
      }
    }
    return null;
  }

  /**
   * A READY replica with a call slot claimed for the caller, now or once one is free: the
   * future fails with {@link NoReadyReplicaException} when no replica is READY, with
   * {@link PoolSaturatedException} when every READY one is full and the queue is too, and with
   * {@link PoolQueueTimeoutException} when the wait outlived {@code deadline}. Cancel it to leave the queue;
   * whoever gets the replica gives the slot back with {@link #release}.
   *
   * @param deadline the call's deadline, or null for none
   * @param affinityKey the session the call belongs to, for a pool with session affinity; null for none
   */
  CompletableFuture<Replica> claim(Deadline deadline, String affinityKey) {
    return claim(deadline, affinityKey, Set.of());
  }

  /**
   * As {@link #claim(Deadline, String)}, for a retry: never on a replica named in {@code avoid}
   * (ids of replicas the call failed on) while the pool has another routable one.
   */
  CompletableFuture<Replica> claim(Deadline deadline, String affinityKey, Set<String> avoid) {
    if (queued == 0) {
      Replica r = acquire(affinityKey, avoid, false);
      if (r != null) {
        return CompletableFuture.completedFuture(r);
      }
    }
    if (!hasReady()) {
      return CompletableFuture.failedFuture(new NoReadyReplicaException(name(), unavailableDetail()));
    }
    Waiter w = new Waiter(new CompletableFuture<>(), deadline, affinityKey, avoid, Context.current());
    synchronized (queueLock) {
      if (waiting.size() >= spec.maxQueue()) {
        return CompletableFuture.failedFuture(new PoolSaturatedException(name(), unavailableDetail()
            + (spec.maxQueue() == 0 ? "" : ", and " + spec.maxQueue() + " calls queued")));
      }
      waiting.addLast(w);
      queued = waiting.size();
    }
    // A slot freed between the failed acquire above and the enqueue would otherwise wait for
    // the next release.
    drain();
    return w.slot();
  }

  /**
   * A slot on a routable replica not named in {@code failed}, now or never (null): where a call
   * that those replicas could not serve goes next. It does not queue: a failover that would
   * have to wait is left to the caller's own retry, which waits its turn like any call.
   */
  Replica claimOther(Set<String> failed, String affinityKey) {
    return acquire(affinityKey, failed, true);
  }

  /** The pool's retry budget: every first call adds to it, every retry takes from it. */
  RetryBudget retryBudget() {
    return retryBudget;
  }

  /** Gives back a slot taken by {@link #claim}: to the oldest waiter, if any. Once per call. */
  void release(Replica replica) {
    replica.release();
    if (queued > 0) {
      drain();
    }
  }

  /** Hands free slots to waiters in arrival order, dropping those that can no longer use one. */
  private void drain() {
    List<Waiter> late = new ArrayList<>();
    try {
      while (true) {
        Waiter w;
        Replica r;
        synchronized (queueLock) {
          w = waiting.peekFirst();
          while (w != null && (w.slot().isDone() || expired(w))) {
            if (!w.slot().isDone()) {
              late.add(w);
            }
            waiting.pollFirst();
            w = waiting.peekFirst();
          }
          queued = waiting.size();
          if (w == null) {
            return;
          }
          r = acquire(w.affinityKey(), w.avoid(), false);
          if (r == null) {
            return;
          }
          waiting.pollFirst();
          queued = waiting.size();
        }
        // Completed outside the lock (what the caller chains on it may claim again), in the
        // waiter's own context.
        boolean taken;
        Context previous = w.context().attach();
        try {
          taken = w.slot().complete(r);
        } finally {
          w.context().detach(previous);
        }
        if (!taken) {
          r.release(); // its caller gave up a moment ago: the slot goes to the next one
        }
      }
    } finally {
      for (Waiter w : late) {
        w.slot().completeExceptionally(new PoolQueueTimeoutException(name(), unavailableDetail()));
      }
    }
  }

  private static boolean expired(Waiter w) {
    return w.deadline() != null && w.deadline().isExpired();
  }

  /**
   * A replica came or went: one that became READY takes waiting calls now, and when none is
   * READY any more the waiting calls fail as a call arriving now would (UNAVAILABLE, which the
   * engine retries within its deadline) instead of waiting for a replica that may not return.
   */
  void replicasMoved() {
    if (queued == 0) {
      return;
    }
    if (hasReady()) {
      drain();
      return;
    }
    List<Waiter> gone;
    synchronized (queueLock) {
      gone = new ArrayList<>(waiting);
      waiting.clear();
      queued = 0;
    }
    String detail = unavailableDetail();
    for (Waiter w : gone) {
      w.slot().completeExceptionally(new NoReadyReplicaException(name(), detail));
    }
  }

  /** Calls waiting for a slot. */
  int queued() {
    return queued;
  }

  /** Why {@link #acquire} found nothing, for the error message. */
  boolean hasReady() {
    for (Replica r : replicas) {
      if (r.routable()) {
        return true;
      }
    }
    return false;
  }

  /** Outlier ejection of this pool's replicas, fed by every call's outcome. */
  Ejections ejections() {
    return ejections;
  }

  String unavailableDetail() {
    int ready = 0;
    StringBuilder others = new StringBuilder();
    for (Replica r : replicas) {
      if (r.routable()) {
        ready++;
      } else {
        others.append(others.length() == 0 ? "" : ", ").append(r.id()).append(' ').append(r.state())
            .append(r.outliers.isEjected() ? " (ejected)" : "");
      }
    }
    if (ready > 0) {
      return ready + " READY replica(s) at their limit of " + spec.maxInFlight() + " calls in flight"
          + (others.length() == 0 ? "" : "; " + others);
    }
    return "0 of " + replicas.size() + " replicas READY: " + others;
  }

  PoolSnapshot snapshot() {
    List<PoolSnapshot.ReplicaSnapshot> rs = new ArrayList<>(replicas.size());
    for (Replica r : replicas) {
      rs.add(r.snapshot());
    }
    return new PoolSnapshot(spec.name(), spec.kind(), spec.models(), spec.device(), spec.affinity(), rs, queued,
        retryBudget.retries(), retryBudget.refused());
  }
}
