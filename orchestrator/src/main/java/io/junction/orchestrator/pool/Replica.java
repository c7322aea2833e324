package io.junction.orchestrator.pool;

import io.grpc.Status;
import io.junction.grpc.EventLoops;
import io.junction.orchestrator.routing.Candidate;
import io.junction.orchestrator.routing.OutlierDetector;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a pool: its lifecycle, its channel, its count of calls in flight and its
 * health checks. Subclasses say how a member comes to exist (a launched process, or an
 * address someone else runs).
 *
 * <p>Threading: the routing path reads {@link #state()}, {@link #client()} and the in-flight
 * count from any thread, without locks. Everything else (lifecycle events, probes' answers,
 * timers) runs on the {@link Scheduler}'s single thread, so handlers never race each other;
 * methods that must run there say so. Fields written there and read by snapshots are volatile.
 */
abstract class Replica implements Candidate {
  /** Between looks at the calls still in flight on a replica that DrainReplica takes out of routing. */
  static final Duration DRAIN_POLL = Duration.ofMillis(50);
  /** How long those calls may take before the replica leaves anyway (their callers get UNAVAILABLE). */
  static final Duration DRAIN_GRACE = Duration.ofSeconds(30);

  protected static final Logger log = LoggerFactory.getLogger(Replica.class);

  protected final String id;
  protected final int index;
  protected final PoolSpec spec;
  protected final Scheduler scheduler;
  protected final WorkerChannels channels;
  protected final ReplicaLifecycle lifecycle;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Whether its calls fail too often to keep it in routing; its pool feeds it every call's outcome. */
  final OutlierDetector outliers;
  /** Whether it has calls in flight and answers nothing; its client tells it of every answer. */
  final StallWatch stall;
  /**
   * Whether the pool has another replica that can serve besides the one given: a stalled replica
   * leaves routing only then (a pool keeps at least one, as with ejection). Its pool sets it.
   */
  volatile Predicate<Replica> othersRoutable = r -> true;
  /** Completes when the replica first becomes READY or gives up; {@code start()} waits on it. */
  protected final CompletableFuture<Void> settled = new CompletableFuture<>();

  protected volatile WorkerClient client;
  protected volatile long pid;
  protected volatile String endpoint = "";
  /** The Unix socket the client dials instead of {@link #endpoint}; empty over TCP. */
  protected volatile String socket = "";
  protected volatile String device = "";
  protected volatile String cpus;
  protected volatile String lastError = "";
  protected volatile int restarts;
  protected volatile boolean closing;
  /**
   * False for a replica that an autoscaled pool added, until the pool's segment plans are loaded
   * after its first READY: it must not take a call of a plan it does not have yet.
   */
  private volatile boolean admitted = true;

  // Event thread only.
  private Scheduler.Cancellable healthTimer = Scheduler.Cancellable.NONE;
  private Scheduler.Cancellable stallTimer = Scheduler.Cancellable.NONE;
  /** Stalled, but kept in routing as the last replica that can serve (and said so). */
  private boolean keptWhileStalled;
  /** The client a probe is out on, if any: one probe at a time per channel. */
  private WorkerClient probing;
  protected int failedProbes;
  /** Which DrainReplica the drain watch belongs to: a later one starts a watch of its own. */
  private int drainGeneration;
  /** When the current run of failed probes began (scheduler time); meaningful while failedProbes > 0. */
  protected long failingSince;

  Replica(PoolSpec spec, int index, Scheduler scheduler, WorkerChannels channels) {
    this.spec = spec;
    this.index = index;
    this.id = WorkerCommand.replicaId(spec.name(), index);
    this.scheduler = scheduler;
    this.channels = channels;
    this.lifecycle = new ReplicaLifecycle(id);
    this.cpus = spec.cpusOf(index).orElse("");
    this.outliers = new OutlierDetector(spec.outlierEjection());
    this.stall = new StallWatch(spec.health().stallAfter().toNanos(), scheduler.nanoTime());
  }

  // ---- routing side: any thread ----

  @Override
  public String id() {
    return id;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  ReplicaState state() {
    return lifecycle.get();
  }

  /** READY, admitted and not ejected for failing its calls: may be given calls. */
  boolean routable() {
    return lifecycle.get() == ReplicaState.READY && admitted && !outliers.isEjected();
  }

  /** Keeps a new replica out of routing, READY or not, until {@link #admit()}. Before it begins. */
  void holdUntilAdmitted() {
    admitted = false;
  }

  /** Lets it take calls whenever it is READY. Any thread; idempotent. */
  void admit() {
    admitted = true;
  }

  boolean admitted() {
    return admitted;
  }

  WorkerClient client() {
    return client;
  }

  /** Claims one call slot unless {@code max} are taken: the bound is the counter itself. */
  boolean tryAcquire(int max) {
    while (true) {
      int n = inFlight.get();
      if (n >= max) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Gives back a slot taken by {@link #tryAcquire}; called exactly once per call. */
  void release() {
    inFlight.decrementAndGet();
  }

  /** A call failed as if the worker were gone: check it now rather than at the next tick. */
  void probeSoon() {
    scheduler.execute(() -> {
      ReplicaState s = state();
      if ((s == ReplicaState.READY || s == ReplicaState.UNHEALTHY) && client != null) {
        probe(client);
      }
    });
  }

  PoolSnapshot.ReplicaSnapshot snapshot() {
    String ejection = "";
    if (outliers.isEjected()) {
      long left = Math.max(0, outliers.ejectedUntil() - scheduler.nanoTime());
      ejection = outliers.reason() + " (back on probation in " + seconds(left) + ")";
    } else if (outliers.phase() == OutlierDetector.Phase.PROBATION) {
      ejection = "on probation after: " + outliers.reason();
    }
    return new PoolSnapshot.ReplicaSnapshot(
        id, pid, endpoint, socket, device, state().name(), inFlight(), restarts, cpus, lastError,
        outliers.isEjected(), ejection);
  }

  /** The last lines the member printed, if we see its output. */
  List<String> lastLines() {
    return List.of();
  }

  // ---- lifecycle: event thread ----

  /** Starts the member: launch it or probe it. Event thread. */
  abstract void begin();

  /** The first probe of a STARTING member has answered. Event thread. */
  protected abstract void onStartingProbe(boolean ready, String error);

  /**
   * An UNHEALTHY member failed another probe; its probes have failed without a break since
   * {@code failingSince} (scheduler time). Event thread.
   */
  protected void onStillUnhealthy(long failingSince) {}

  /** Became READY (again). Event thread. */
  protected void onReady() {}

  /** Sends a ServerReady probe unless one is already out. Event thread. */
  protected final void probe(WorkerClient c) {
    if (probing == c) {
      return;
    }
    probing = c;
    CompletableFuture<Boolean> answer;
    try {
      answer = c.serverReady(spec.health().probeTimeout());
    } catch (RuntimeException e) {
      // A stub or interceptor that throws instead of failing the call: count it as a failed
      // probe, or `probing` would stay set and this channel would never be probed again.
      answer = CompletableFuture.failedFuture(
          Status.UNAVAILABLE.withDescription("probe not sent: " + e).withCause(e).asRuntimeException());
    }
    answer.whenComplete((ready, t) -> {
      boolean ok = t == null && Boolean.TRUE.equals(ready);
      String error = ok ? "" : t != null ? describe(Status.fromThrowable(t)) : "ServerReady: not ready";
      scheduler.execute(() -> onProbe(c, ok, error));
    });
  }

  private void onProbe(WorkerClient c, boolean ok, String error) {
    if (probing == c) {
      probing = null;
    }
    if (c != client || closing) {
      return; // an answer about a process or channel that has since been replaced
    }
    switch (state()) {
      case STARTING -> onStartingProbe(ok, error);
      case READY -> {
        if (ok) {
          failedProbes = 0;
          return;
        }
        // One failed or slow probe says little of a loaded worker: only a run of them counts.
        countFailedProbe(error);
        if (failedProbes < spec.health().unhealthyAfter()) {
          log.info("pool {}: replica {} failed health check {} of {} before it leaves routing: {}", spec.name(), id,
              failedProbes, spec.health().unhealthyAfter(), error);
        } else if (lifecycle.transition(ReplicaState.READY, ReplicaState.UNHEALTHY)) {
          log.warn("pool {}: replica {} UNHEALTHY after {} failed health checks in a row: {}", spec.name(), id,
              failedProbes, error);
        }
      }
      case UNHEALTHY -> {
        if (ok) {
          if (lifecycle.transition(ReplicaState.UNHEALTHY, ReplicaState.READY)) {
            failedProbes = 0;
            log.info("pool {}: replica {} READY again", spec.name(), id);
            onReady();
          }
        } else {
          countFailedProbe(error);
          onStillUnhealthy(failingSince);
        }
      }
      default -> { }
    }
  }

  /** One more failed probe in the current run, which it starts when it is the first. Event thread. */
  private void countFailedProbe(String error) {
    if (failedProbes++ == 0) {
      failingSince = scheduler.nanoTime();
    }
    lastError = "health check: " + error;
  }

  /**
   * Probes every health interval while the member is READY or UNHEALTHY, and looks for a stall a
   * few times per stall_after. Event thread.
   */
  protected final void startHealthChecks() {
    healthTimer.cancel();
    healthTimer = scheduler.schedule(spec.healthInterval(), this::healthTick);
    stallTimer.cancel();
    stallTimer = scheduler.schedule(Duration.ofNanos(stall.checkIntervalNanos()), this::stallTick);
  }

  private void stallTick() {
    if (closing || state().isFinal()) {
      return;
    }
    WorkerClient c = client;
    boolean watched = state() == ReplicaState.READY && c != null;
    switch (stall.check(scheduler.nanoTime(), watched ? inFlight() : 0)) {
      // Quiet for a while with calls out: a probe tells a slow worker (it answers) from a stopped one.
      case QUIET -> probe(c);
      case STALLED -> onStalled();
      case FINE -> keptWhileStalled = false;
    }
    stallTimer = scheduler.schedule(Duration.ofNanos(stall.checkIntervalNanos()), this::stallTick);
  }

  /**
   * Calls are out and nothing has come back for stall_after: the worker is stopped or frozen
   * while its connection stays open, and its calls would wait for their deadlines. It leaves
   * routing at once (UNHEALTHY: its probes bring it back once it answers, and the pool's
   * kill_after_ms rule, unchanged, decides whether it is killed), and its calls fail with
   * UNAVAILABLE so that they fail over within their deadlines.
   *
   * <p>The calls are ended by dropping the connection ({@link WorkerClient#abort}) and dialing
   * afresh, rather than by cancelling each one: that reaches every kind of call at once (call
   * streams, ModelInfer, RunSegment, probes) without a registry of open calls on the calls'
   * path, and a connection to a worker that stopped reading is of no more use anyway (its
   * windows may be full of requests it never read). The new connection is what its probes use.
   * Event thread.
   */
  private void onStalled() {
    long now = scheduler.nanoTime();
    int calls = inFlight();
    String why = "replica " + id + " stalled: no answer for " + TimeUnit.NANOSECONDS.toMillis(stall.quietNanos(now))
        + " ms with " + calls + " call(s) in flight";
    if (!othersRoutable.test(this)) {
      if (!keptWhileStalled) {
        keptWhileStalled = true; // said once until it answers again
        log.warn("pool {}: {}; kept in routing: it is the last replica of the pool that can serve", spec.name(), why);
      }
      lastError = why;
      return;
    }
    if (!lifecycle.transition(ReplicaState.READY, ReplicaState.UNHEALTHY)) {
      return;
    }
    lastError = why;
    log.warn("pool {}: {}; out of routing until it answers a probe, its calls fail over", spec.name(), why);
    stall.reset(now);
    connect(endpoint, socket, Status.UNAVAILABLE.withDescription(why));
    probe(client);
  }

  private void healthTick() {
    if (closing || state().isFinal()) {
      return;
    }
    ReplicaState s = state();
    if ((s == ReplicaState.READY || s == ReplicaState.UNHEALTHY) && client != null) {
      probe(client);
    }
    healthTimer = scheduler.schedule(spec.healthInterval(), this::healthTick);
  }

  // ---- DrainReplica ----

  /**
   * Takes the replica out of routing (READY or UNHEALTHY to DRAINING) for DrainReplica; once the
   * calls it has in flight are done (or {@link #DRAIN_GRACE} has passed) its worker is told to
   * drain and the replica leaves ({@link #drained}). Any thread; the rest runs on the event thread.
   *
   * @return false when the replica was not READY or UNHEALTHY (any more)
   */
  boolean startDrain() {
    return startDrain(true);
  }

  /**
   * As {@link #startDrain()}; with {@code tellWorker} false the worker is not asked to drain once
   * our calls are done: the replica only leaves (a dns member whose address left the answer: its
   * worker belongs to whoever runs it, and may still serve other orchestrators).
   */
  boolean startDrain(boolean tellWorker) {
    ReplicaState s = state();
    if ((s != ReplicaState.READY && s != ReplicaState.UNHEALTHY) || !lifecycle.transition(s, ReplicaState.DRAINING)) {
      return false;
    }
    long deadline = scheduler.nanoTime() + DRAIN_GRACE.toNanos();
    scheduler.execute(() -> {
      int gen = ++drainGeneration;
      log.info("pool {}: replica {} DRAINING: out of routing, {} call(s) in flight", spec.name(), id, inFlight());
      awaitCallsDone(gen, deadline, tellWorker);
    });
    return true;
  }

  private boolean stillDraining(int gen) {
    return gen == drainGeneration && !closing && state() == ReplicaState.DRAINING;
  }

  private void awaitCallsDone(int gen, long deadline, boolean tellWorker) {
    if (!stillDraining(gen)) {
      return;
    }
    long left = deadline - scheduler.nanoTime();
    if (inFlight() > 0 && left > 0) {
      scheduler.schedule(DRAIN_POLL, () -> awaitCallsDone(gen, deadline, tellWorker));
      return;
    }
    if (inFlight() > 0) {
      log.warn("pool {}: replica {} still has {} call(s) in flight after {}; it leaves anyway", spec.name(), id,
          inFlight(), seconds(DRAIN_GRACE.toNanos()));
    }
    WorkerClient c = client;
    if (c == null || !tellWorker) {
      drained();
      return;
    }
    // Our calls are done; the worker's Drain finishes whatever it still runs (nothing, unless a
    // call's caller gave up before the worker did), then the replica leaves, whatever it answered
    // (a Triton or MLServer member has no WorkerControl).
    Duration grace = Duration.ofNanos(Math.max(left, Duration.ofSeconds(1).toNanos()));
    c.drain(grace, grace.plus(spec.health().probeTimeout())).whenComplete((answer, t) -> scheduler.execute(() -> {
      if (stillDraining(gen)) {
        drained();
      }
    }));
  }

  /**
   * The drained replica leaves: here, STOPPED and disconnected (a static member stays listed,
   * out of routing, until the orchestrator restarts). Event thread.
   */
  protected void drained() {
    healthTimer.cancel();
    stallTimer.cancel();
    if (lifecycle.transition(ReplicaState.DRAINING, ReplicaState.STOPPED)) {
      log.info("pool {}: replica {} drained and STOPPED", spec.name(), id);
      disconnect();
    }
  }

  /** Marks the start of closing: no more launches, probes or restarts. Event thread. */
  void beginClose() {
    closing = true;
    healthTimer.cancel();
    stallTimer.cancel();
    lifecycle.moveTo(ReplicaState.DRAINING);
  }

  /** Ends closing: waits for the member to be gone by {@code deadlineNanos} (System.nanoTime). Any thread. */
  void finishClose(long deadlineNanos) {
    lifecycle.moveTo(ReplicaState.STOPPED);
    WorkerClient c = client;
    if (c != null) {
      c.close();
    }
    settled.complete(null);
  }

  /**
   * Switches to a new worker, closing the channels to the old one. Event thread.
   *
   * @param newEndpoint its host:port
   * @param socketPath  its Unix socket, dialed instead of the endpoint when not empty
   */
  protected final void connect(String newEndpoint, String socketPath) {
    disconnect();
    endpoint = newEndpoint;
    socket = socketPath;
    stall.reset(scheduler.nanoTime());
    String target = socketPath.isEmpty() ? newEndpoint : EventLoops.UNIX + socketPath;
    client = new WorkerClient(target, channels.open(target), channels, () -> stall.answered(scheduler.nanoTime()));
  }

  /** Dials the same worker afresh; the calls on the old connection end with {@code why}. Event thread. */
  private void connect(String sameEndpoint, String socketPath, Status why) {
    WorkerClient old = client;
    client = null;
    connect(sameEndpoint, socketPath);
    if (old != null) {
      old.abort(why);
    }
  }

  protected final void disconnect() {
    WorkerClient old = client;
    client = null;
    probing = null;
    if (old != null) {
      old.close();
    }
  }

  static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}
