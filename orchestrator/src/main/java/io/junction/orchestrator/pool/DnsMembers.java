package io.junction.orchestrator.pool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The members of one dns pool, following what its service resolves to: looked up at start, every
 * resolve interval, and soon after a member's connection fails. Each new address becomes a
 * {@link DnsReplica}, probed like a static member, that takes calls once it answers ready; a
 * member whose address left the answer is drained (no new calls, its calls in flight finish) and
 * then dropped, its channel closed. An address that comes back is a new member.
 *
 * <p>A lookup that fails, or answers no address, changes nothing: the members stay (a DNS hiccup
 * must not empty a pool that serves), and it is logged and counted. Even a good answer never
 * takes away the last routable member: one whose address left stays until a member of the answer
 * takes calls (a rolling update whose new pod is not ready yet).
 *
 * <p>Runs on the pool's scheduler thread, which every replica's handlers share: it must not block,
 * so the lookups run on {@code lookups} and their answers come back to that thread. Only
 * {@link #status()}, {@link #resolveSoon()} and {@link #firstRoutable()} are for other threads.
 */
final class DnsMembers {
  private static final Logger log = LoggerFactory.getLogger(DnsMembers.class);

  private final Pool pool;
  private final DnsService service;
  private final Scheduler scheduler;
  private final WorkerChannels channels;
  private final DnsResolver resolver;
  private final Executor lookups;
  private final LongSupplier wallMillis;
  /**
   * Wires a new member to the rest of the pool set (segment plans loaded before it takes calls):
   * holds it out of routing until then, and runs the second argument, on any thread, each time it
   * is READY again with the plans loaded.
   */
  private final BiConsumer<Replica, Runnable> admitWhenReady;
  private final CompletableFuture<Void> firstRoutable = new CompletableFuture<>();

  // Event thread only.
  private boolean stopped;
  private boolean lookingUp;
  /** Scheduler time of the last lookup's start, to space out the ones failures bring forward. */
  private long lastLookupAt = Long.MIN_VALUE / 2;
  /** The last answer with addresses, sorted; null before the first. */
  private List<String> answer;
  /** Members whose address left the answer but that stay as the pool's last routable ones, by address. */
  private final Set<String> kept = new HashSet<>();
  private Scheduler.Cancellable timer = Scheduler.Cancellable.NONE;

  private volatile PoolSnapshot.Discovery status;

  DnsMembers(Pool pool, Scheduler scheduler, WorkerChannels channels, DnsResolver resolver, Executor lookups,
      LongSupplier wallMillis, BiConsumer<Replica, Runnable> admitWhenReady) {
    this.pool = pool;
    this.service = pool.spec().service().orElseThrow();
    this.scheduler = scheduler;
    this.channels = channels;
    this.resolver = resolver;
    this.lookups = lookups;
    this.wallMillis = wallMillis;
    this.admitWhenReady = admitWhenReady;
    this.status = new PoolSnapshot.Discovery(service.name(), service.resolveInterval().toMillis(), List.of(), "", "",
        0, 0, 0, 0);
  }

  /** Starts looking the name up. Any thread. */
  void start() {
    scheduler.execute(this::lookUp);
  }

  /** No more lookups or changes (the pools are closing). Event thread. */
  void stop() {
    stopped = true;
    timer.cancel();
  }

  /** Completes when a member first takes calls; start waits on it. */
  CompletableFuture<Void> firstRoutable() {
    return firstRoutable;
  }

  /** The service, the last answer and how the lookups went, for ListPools and metrics. Any thread. */
  PoolSnapshot.Discovery status() {
    return status;
  }

  /**
   * A member's connection failed: the name may answer otherwise now (a pod replaced), so it is
   * looked up now rather than at the next interval, unless a lookup is out or the last one
   * started less than {@link #minGapNanos()} ago. Any thread.
   */
  void resolveSoon() {
    scheduler.execute(() -> {
      if (!stopped && !lookingUp && scheduler.nanoTime() - lastLookupAt >= minGapNanos()) {
        log.info("pool {}: a member's connection failed: looking {} up now", pool.name(), service.host());
        timer.cancel();
        lookUp();
      }
    });
  }

  /** Lookups brought forward by failures come at most this often: a tenth of the interval, at least 100 ms. */
  private long minGapNanos() {
    return Math.max(DnsService.MIN_RESOLVE_INTERVAL.toNanos(), service.resolveInterval().toNanos() / 10);
  }

  private void lookUp() {
    if (stopped || lookingUp) {
      return;
    }
    lookingUp = true;
    lastLookupAt = scheduler.nanoTime();
    try {
      lookups.execute(() -> {
        List<String> addresses = null;
        String error = null;
        try {
          addresses = resolver.resolve(service.host());
        } catch (Exception e) {
          error = e.toString();
        }
        List<String> got = addresses;
        String failure = error;
        scheduler.execute(() -> answered(got, failure));
      });
    } catch (RejectedExecutionException e) {
      lookingUp = false; // closing
    }
  }

  /** A lookup's answer: its addresses, or why it failed. Event thread. */
  private void answered(List<String> addresses, String error) {
    lookingUp = false;
    if (stopped) {
      return;
    }
    try {
      if (error != null) {
        keep("failed", error);
      } else if (addresses.isEmpty()) {
        keep("empty", "no address");
      } else {
        List<String> now = normalized(addresses);
        if (!now.equals(answer)) {
          log.info("pool {}: {} resolves to {}{}", pool.name(), service.host(), now,
              answer == null ? "" : " (was " + answer + ")");
        }
        answer = now;
        record("ok", "", now);
        reconcile();
      }
    } finally {
      timer = scheduler.schedule(service.resolveInterval(), this::lookUp);
    }
  }

  /** The addresses once each, sorted, at most {@link DnsService#MAX_MEMBERS}. */
  private List<String> normalized(List<String> addresses) {
    List<String> sorted = new ArrayList<>(new TreeSet<>(addresses));
    if (sorted.size() > DnsService.MAX_MEMBERS) {
      log.warn("pool {}: {} resolves to {} addresses; the pool takes the first {} (expected: at most {})", pool.name(),
          service.host(), sorted.size(), DnsService.MAX_MEMBERS, DnsService.MAX_MEMBERS);
      sorted = List.copyOf(sorted.subList(0, DnsService.MAX_MEMBERS));
    }
    return List.copyOf(sorted);
  }

  /** A lookup without addresses: the members stay as they are. */
  private void keep(String outcome, String why) {
    boolean again = status.lastLookup().equals(outcome);
    record(outcome, why, status.addresses());
    String message = "pool {}: looking up {} {}: {}; keeping the {} member(s) it has";
    int members = pool.replicas().size();
    if (again) {
      log.debug(message, pool.name(), service.host(), outcome, why, members);
    } else {
      log.warn(message, pool.name(), service.host(), outcome, why, members);
    }
  }

  private void record(String outcome, String error, List<String> addresses) {
    PoolSnapshot.Discovery s = status;
    status = new PoolSnapshot.Discovery(s.service(), s.resolveIntervalMillis(), addresses, outcome, error,
        wallMillis.getAsLong(), s.okLookups() + (outcome.equals("ok") ? 1 : 0),
        s.failedLookups() + (outcome.equals("failed") ? 1 : 0), s.emptyLookups() + (outcome.equals("empty") ? 1 : 0));
  }

  /**
   * Brings the members in line with the last answer: a member for each new address, and the
   * members whose address left it leave, except the pool's last routable ones. Event thread.
   */
  private void reconcile() {
    if (answer == null || stopped) {
      return;
    }
    Set<String> wanted = new HashSet<>(answer);
    Map<String, DnsReplica> byAddress = new HashMap<>();
    for (Replica r : pool.replicas()) {
      DnsReplica m = (DnsReplica) r;
      if (!m.leaving()) {
        byAddress.put(m.address(), m);
      }
    }
    for (String address : answer) {
      if (!byAddress.containsKey(address) && !leavingAt(address)) {
        add(address);
      }
    }
    boolean stayingRoutable = false;
    for (Replica r : pool.replicas()) {
      stayingRoutable |= r.routable() && wanted.contains(((DnsReplica) r).address());
    }
    kept.retainAll(byAddress.keySet());
    for (DnsReplica m : byAddress.values()) {
      if (wanted.contains(m.address())) {
        kept.remove(m.address());
        continue;
      }
      if (m.routable() && !stayingRoutable) {
        if (kept.add(m.address())) {
          log.warn("pool {}: member {} at {} left the answer of {}, but stays until a member of the answer takes"
              + " calls: it is the pool's last that can serve", pool.name(), m.id(), m.endpoint, service.host());
        }
        continue;
      }
      kept.remove(m.address());
      leave(m);
    }
  }

  /** Whether a member at {@code address} is still on its way out: the address rejoins once it is gone. */
  private boolean leavingAt(String address) {
    for (Replica r : pool.replicas()) {
      DnsReplica m = (DnsReplica) r;
      if (m.leaving() && m.address().equals(address)) {
        return true;
      }
    }
    return false;
  }

  private void add(String address) {
    DnsReplica m = new DnsReplica(pool.spec(), Pool.freeIndex(pool.replicas()), address, scheduler, channels,
        this::resolveSoon);
    admitWhenReady.accept(m, () -> scheduler.execute(() -> admitted(m)));
    m.lifecycle.onMove(pool::replicasMoved);
    log.info("pool {}: member {} at {} joins; it takes calls once it answers ready", pool.name(), m.id(), m.endpoint);
    pool.add(m);
    m.begin();
  }

  /** A member takes calls (again): members kept as the last routable ones may leave now. Event thread. */
  private void admitted(DnsReplica m) {
    firstRoutable.complete(null);
    if (!kept.isEmpty()) {
      reconcile();
    }
  }

  private void leave(DnsReplica m) {
    int calls = m.inFlight();
    log.info("pool {}: member {} at {} left the answer of {}: draining it ({} call(s) in flight), then dropping it",
        pool.name(), m.id(), m.endpoint, service.host(), calls);
    m.leave(() -> {
      pool.remove(m);
      pool.replicasMoved();
      log.info("pool {}: member {} at {} dropped", pool.name(), m.id(), m.address());
      if (answer != null && answer.contains(m.address())) {
        reconcile(); // its address came back while it drained: a fresh member takes its place
      }
    });
  }

  /** The pool's members and the last lookup, in words, for a start that found no member READY. */
  String describe() {
    PoolSnapshot.Discovery s = status;
    StringBuilder why = new StringBuilder("service ").append(s.service()).append(": ");
    why.append(s.lastLookup().isEmpty() ? "no lookup answered yet" : "last lookup " + s.lastLookup()
        + (s.lastError().isEmpty() ? "" : " (" + s.lastError() + ")") + ", addresses " + s.addresses());
    for (Replica r : pool.replicas()) {
      why.append("\n  ").append(r.id()).append(" at ").append(r.endpoint).append(": ").append(r.state())
          .append(r.lastError.isEmpty() ? "" : " (" + r.lastError + ")");
    }
    return why.toString();
  }
}
