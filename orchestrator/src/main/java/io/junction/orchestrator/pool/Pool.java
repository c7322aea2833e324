package io.junction.orchestrator.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.Context;
import io.grpc.Deadline;
import io.junction.orchestrator.admission.Priority;
import io.junction.orchestrator.routing.Picker;
import io.junction.orchestrator.routing.RetryBudget;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool: its replicas, how a call picks one, and the calls waiting for a slot. When every
 * READY replica is at {@code max_in_flight}, a call waits in a bounded queue ({@code max_queue})
 * instead of failing at once, as Triton's scheduler queues; the slot a finishing call gives back
 * goes to the oldest interactive waiter, and to the oldest batch waiter only when no interactive
 * one waits ({@link Priority}, taken from the call's context). A batch call takes a slot only on
 * a replica with fewer than {@link PoolSpec#batchMaxInFlight()} calls of any class in flight (the
 * config derives it from {@code admission.batch_share}), so that every replica keeps slots an
 * interactive call finds free even while batch work saturates the pool. The bound follows from admission
 * (every admitted request with every step it can have waiting), so a call of an admitted request
 * always finds room; only a full queue answers {@link PoolSaturatedException}, which then means
 * work that did not come through admission or a {@code max_queue} set below that bound. A waiter
 * whose deadline passed, or whose caller gave up, is dropped when its turn comes, not sent; when
 * the queue looks full, such waiters are swept out first, so that they never take the room of
 * live ones. A replica takes calls while it is
 * {@link Replica#routable() routable}: READY and not ejected for failing its calls
 * ({@link Ejections}). A retry avoids the replicas its call failed on while another is routable,
 * and spends a token of the pool's {@link RetryBudget}.
 */
final class Pool {
  private static final Logger log = LoggerFactory.getLogger(Pool.class);
  private final PoolSpec spec;
  /**
   * The members, copied on write: an autoscaled pool adds and removes replicas (on its event
   * thread, under {@code membersLock}) while the routing path reads the list once per call
   * without a lock, as cheaply as it read the final list a fixed pool has.
   */
  private volatile List<Replica> replicas;
  private final Object membersLock = new Object();
  private final Picker picker;
  private final Ejections ejections;
  private final RetryBudget retryBudget;
  private final Object queueLock = new Object();
  /** Interactive waiters, oldest first: served before any batch waiter. */
  @GuardedBy("queueLock")
  private final ArrayDeque<Waiter> interactive = new ArrayDeque<>();
  /** Batch waiters, oldest first. */
  @GuardedBy("queueLock")
  private final ArrayDeque<Waiter> batch = new ArrayDeque<>();
  /** Waiters of both queues, readable without the lock: the fast path skips the queue when it is empty. */
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
    for (Replica r : this.replicas) {
      r.othersRoutable = ejections::othersRoutable;
    }
    this.retryBudget = new RetryBudget(spec.retryBudget(), Math.max(1, spec.maxReplicas() * spec.maxInFlight()),
        nanoTime);
  }

  String name() {
    return spec.name();
  }

  PoolSpec spec() {
    return spec;
  }

  /** The members now: an immutable list, which a later {@link #add} or {@link #remove} does not change. */
  List<Replica> replicas() {
    return replicas;
  }

  /** A new member (an autoscaled pool's): it takes calls once it is {@link Replica#routable() routable}. */
  void add(Replica r) {
    r.othersRoutable = ejections::othersRoutable;
    synchronized (membersLock) {
      List<Replica> next = new ArrayList<>(replicas);
      next.add(r);
      replicas = List.copyOf(next);
    }
  }

  /** A member that has left for good (an autoscaled pool's, drained and stopped). */
  void remove(Replica r) {
    synchronized (membersLock) {
      List<Replica> next = new ArrayList<>(replicas);
      next.remove(r);
      replicas = List.copyOf(next);
    }
  }

  /**
   * The lowest index no member of {@code members} holds, for a member that joins: a local
   * replica's CPU pinning is the pool's entry for that index, and ids stay short.
   */
  static int freeIndex(List<Replica> members) {
    Set<Integer> used = new HashSet<>();
    for (Replica r : members) {
      used.add(r.index);
    }
    int i = 0;
    while (used.contains(i)) {
      i++;
    }
    return i;
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
    return acquire(affinityKey, avoid, strict, Priority.currentOrInteractive());
  }

  /**
   * As {@link #acquire(String, Set, boolean)} for a call of {@code priority}: a batch call sees
   * only replicas with fewer than {@code batchMaxInFlight} calls in flight, of either class, so
   * that each keeps the rest of its slots for interactive calls (which also take batch's room).
   * Without that reserve an interactive call, first in the queue, still waits for a batch call
   * to end on a replica full of them, and then shares the worker with as many: the reserve
   * halved the interactive p50 under batch saturation in the bench.
   */
  private Replica acquire(String affinityKey, Set<String> avoid, boolean strict, Priority priority) {
    int limit = priority == Priority.BATCH ? spec.batchMaxInFlight() : spec.maxInFlight();
    List<Replica> members = replicas;
    List<Replica> ready = new ArrayList<>(members.size());
    List<Replica> avoided = null;
    for (Replica r : members) {
      if (!r.routable() || (limit < spec.maxInFlight() && r.inFlight() >= limit)) {
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
      if (choice.get().tryAcquire(limit)) {
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
    List<Waiter> late = new ArrayList<>();
    boolean full;
    synchronized (queueLock) {
      if (waitingCount() >= spec.maxQueue()) {
        sweep(interactive, late);
        sweep(batch, late);
      }
      full = waitingCount() >= spec.maxQueue();
      if (!full) {
        (Priority.currentOrInteractive() == Priority.BATCH ? batch : interactive).addLast(w);
      }
      queued = waitingCount();
    }
    failLate(late);
    if (full) {
      return CompletableFuture.failedFuture(new PoolSaturatedException(name(), unavailableDetail()
          + (spec.maxQueue() == 0 ? "" : ", and " + spec.maxQueue() + " calls queued")));
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

  /**
   * Hands free slots to waiters, interactive ones first and each class in arrival order,
   * dropping those that can no longer use one.
   */
  private void drain() {
    List<Waiter> late = new ArrayList<>();
    try {
      while (true) {
        Waiter w;
        Replica r;
        synchronized (queueLock) {
          boolean interactiveFirst = skipDead(interactive, late) != null;
          ArrayDeque<Waiter> from = interactiveFirst ? interactive : batch;
          w = skipDead(from, late);
          queued = waitingCount();
          if (w == null) {
            return;
          }
          r = acquire(w.affinityKey(), w.avoid(), false, interactiveFirst ? Priority.INTERACTIVE : Priority.BATCH);
          if (r == null) {
            return;
          }
          from.pollFirst();
          queued = waitingCount();
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
      failLate(late);
    }
  }

  /** The first live waiter of {@code queue}, after dropping the dead ones before it (expired ones into {@code late}). */
  @GuardedBy("queueLock")
  private static Waiter skipDead(ArrayDeque<Waiter> queue, List<Waiter> late) {
    Waiter w = queue.peekFirst();
    while (w != null && dead(w, late)) {
      queue.pollFirst();
      w = queue.peekFirst();
    }
    return w;
  }

  /** Drops every dead waiter of {@code queue}, wherever it stands: for a queue that looks full. */
  @GuardedBy("queueLock")
  private static void sweep(ArrayDeque<Waiter> queue, List<Waiter> late) {
    queue.removeIf(w -> dead(w, late));
  }

  /**
   * Whether {@code w} can no longer use a slot: its caller gave up, or its deadline passed (then
   * it goes into {@code late}).
   */
  private static boolean dead(Waiter w, List<Waiter> late) {
    if (w.slot().isDone()) {
      return true;
    }
    if (expired(w)) {
      late.add(w);
      return true;
    }
    return false;
  }

  /** Fails waiters whose deadline passed in the queue; outside the lock (what they chain may claim again). */
  private void failLate(List<Waiter> late) {
    for (Waiter w : late) {
      w.slot().completeExceptionally(new PoolQueueTimeoutException(name(), unavailableDetail()));
    }
  }

  @GuardedBy("queueLock")
  private int waitingCount() {
    return interactive.size() + batch.size();
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
      gone = new ArrayList<>(interactive);
      gone.addAll(batch);
      interactive.clear();
      batch.clear();
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
    List<Replica> members = replicas;
    int ready = 0;
    StringBuilder others = new StringBuilder();
    for (Replica r : members) {
      if (r.routable()) {
        ready++;
      } else {
        others.append(others.length() == 0 ? "" : ", ").append(r.id());
        if (spec.kind() != PoolSpec.Kind.LOCAL) {
          // A member someone else runs: where it is, so that the message leads to the server that is down.
          others.append(" at ").append(r.endpoint);
        }
        others.append(' ').append(r.state()).append(r.outliers.isEjected() ? " (ejected)" : "");
        if (spec.kind() != PoolSpec.Kind.LOCAL && r.state() == ReplicaState.READY && !r.admitted()) {
          others.append(" (not routed to").append(r.lastError.isEmpty() ? "" : ": " + r.lastError).append(')');
        }
      }
    }
    if (ready > 0) {
      return ready + " READY replica(s) at their limit of " + spec.maxInFlight() + " calls in flight"
          + (spec.batchMaxInFlight() < spec.maxInFlight() ? " (" + spec.batchMaxInFlight() + " of them batch)" : "")
          + (others.length() == 0 ? "" : "; " + others);
    }
    return "0 of " + members.size() + " replicas READY: " + others;
  }

  PoolSnapshot snapshot() {
    return snapshot(Optional.empty());
  }

  /** @param scaling what its autoscaler last decided, if the pool autoscales */
  PoolSnapshot snapshot(Optional<PoolSnapshot.Scaling> scaling) {
    return snapshot(scaling, Optional.empty());
  }

  /**
   * @param scaling   what its autoscaler last decided, if the pool autoscales
   * @param discovery how its lookups went, if it is a dns pool
   */
  PoolSnapshot snapshot(Optional<PoolSnapshot.Scaling> scaling, Optional<PoolSnapshot.Discovery> discovery) {
    List<Replica> members = replicas;
    List<PoolSnapshot.ReplicaSnapshot> rs = new ArrayList<>(members.size());
    for (Replica r : members) {
      rs.add(r.snapshot());
    }
    return new PoolSnapshot(spec.name(), spec.kind(), spec.models(), spec.device(), spec.affinity(), rs, queued,
        scaling, retryBudget.retries(), retryBudget.refused(), discovery);
  }
}
