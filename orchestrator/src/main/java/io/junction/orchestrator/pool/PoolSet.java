package io.junction.orchestrator.pool;

import io.grpc.Deadline;
import io.grpc.Status;
import io.junction.engine.IterationListener;
import io.junction.engine.ModelInvoker;
import io.junction.engine.StepLimit;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineResult;
import io.junction.engine.Retry;
import io.junction.grpc.SegmentProtocol;
import io.junction.orchestrator.routing.Picker;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.v1.LoadPlansRequest;
import io.junction.proto.v1.LoadPlansResponse;
import io.junction.proto.v1.RunSegmentRequest;
import io.junction.proto.v1.SegmentEvent;
import io.junction.proto.v1.SegmentIteration;
import io.junction.proto.v1.SegmentOutput;
import io.junction.proto.v1.SegmentPlan;
import io.junction.proto.v1.SegmentResult;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.tensor.TensorFormatException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every pool of the orchestrator behind {@link Pools}. Owns the event scheduler its replicas
 * share and the folder of the local workers' sockets; {@link #close()} stops both and every
 * child process. The channels' event loops belong to whoever gave the {@link WorkerChannels}.
 */
final class PoolSet implements Pools {
  private static final Logger log = LoggerFactory.getLogger(PoolSet.class);
  /** How long a model's metadata may take at start. */
  static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
  /** How long workers get between SIGTERM and SIGKILL at close. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);
  /** Added to the start timeout while start() waits, so the replicas' own timers decide first. */
  private static final Duration START_WAIT_SLACK = Duration.ofSeconds(15);
  private static final int BATCHED_CALLS_PER_REPLICA = 1;
  /**
   * Model calls to Junction workers go over call streams ({@link WorkerCallStream}) unless the
   * orchestrator's JVM runs with {@code -Djunction.callStreams=false}: a switch to measure what
   * they bring and to rule them out when debugging (docs/configuration.md).
   */
  static final boolean CALL_STREAMS = !"false".equals(System.getProperty("junction.callStreams"));

  private final List<Pool> pools;
  private final Map<String, Pool> byModel;
  private final Scheduler scheduler;
  private final SocketDir sockets;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Map<String, ModelSignature> signatures = Map.of();
  private final Map<String, Pool> byName;
  /** Pools whose every member said at start that it runs segments. */
  private volatile Set<String> segmentPools = Set.of();
  /** Each pool's segment plans, loaded into every replica that becomes READY. */
  private final Map<String, List<SegmentPlan>> plans = new ConcurrentHashMap<>();
  /**
   * Plans that work row by row, by pool, with the most rows one call may carry: the least that
   * any replica reported when it loaded them (0 once one said the plan does not).
   */
  private final Map<String, Map<String, Integer>> batchRows = new ConcurrentHashMap<>();
  private final Map<String, SegmentBatcher> batchers = new ConcurrentHashMap<>();
  private final Launcher launcher;
  /** The autoscaler of each pool that has one, by pool name. */
  private final Map<String, PoolScaler> scalers = new LinkedHashMap<>();
  /** The members of each dns pool, by pool name. */
  private final Map<String, DnsMembers> dnsPools = new LinkedHashMap<>();
  /** Where dns pools' lookups run (they may block); null without dns pools. */
  private final ExecutorService dnsLookups;

  PoolSet(List<PoolSpec> specs, Scheduler scheduler, WorkerChannels channels,
      Launcher launcher, WorkerCommand.Host host, Function<PoolSpec, Picker> pickers) {
    this(specs, scheduler, channels, launcher, host, pickers, DnsResolver.NONE);
  }

  /** @param resolver looks up the names of dns pools */
  PoolSet(List<PoolSpec> specs, Scheduler scheduler, WorkerChannels channels,
      Launcher launcher, WorkerCommand.Host host, Function<PoolSpec, Picker> pickers, DnsResolver resolver) {
    this.scheduler = scheduler;
    this.launcher = launcher;
    int dnsCount = (int) specs.stream().filter(s -> s.kind() == PoolSpec.Kind.DNS).count();
    this.dnsLookups = dnsCount == 0 ? null : lookupThreadFor(dnsCount);
    this.sockets = SocketDir.inTemp(channels.unixSockets());
    // Unpinned local replicas share the machine's cores; each is told its share.
    WorkerCommand.Host shared = host.sharedBy(specs);
    List<Pool> built = new ArrayList<>();
    Map<String, Pool> models = new LinkedHashMap<>();
    for (PoolSpec spec : specs) {
      checkSpec(spec);
      List<Replica> replicas = new ArrayList<>();
      switch (spec.kind()) {
        case LOCAL -> {
          for (int i = 0; i < spec.replicas(); i++) {
            replicas.add(new LocalReplica(spec, i, scheduler, channels, launcher, shared, RestartBackoff.standard(),
                sockets));
          }
        }
        case STATIC -> {
          for (int i = 0; i < spec.endpoints().size(); i++) {
            replicas.add(new StaticReplica(spec, i, scheduler, channels));
          }
        }
        case DNS -> { } // its members come from its lookups, after start
      }
      if (replicas.isEmpty() && spec.kind() != PoolSpec.Kind.DNS) {
        throw new IllegalArgumentException("pool " + spec.name() + ": no replicas (expected: at least one)");
      }
      Pool pool = new Pool(spec, replicas, pickers.apply(spec), scheduler::nanoTime);
      built.add(pool);
      for (Replica r : replicas) {
        if (spec.kind() == PoolSpec.Kind.STATIC) {
          // Routed to once its metadata matches the signatures read at start (MemberSignatures).
          admitWhenChecked(pool, r, () -> { });
        } else {
          r.lifecycle.onReady(() -> loadPlansInto(pool, r));
        }
        r.lifecycle.onMove(pool::replicasMoved);
      }
      if (spec.kind() == PoolSpec.Kind.DNS) {
        dnsPools.put(spec.name(), new DnsMembers(pool, scheduler, channels, resolver, dnsLookups, System::currentTimeMillis,
            (r, then) -> admitWhenChecked(pool, r, then)));
      }
      spec.autoscaling().ifPresent(policy -> scalers.put(spec.name(), new PoolScaler(pool, policy, scheduler,
          System::currentTimeMillis, index -> addedReplica(pool, index, channels, shared))));
      for (String model : spec.models()) {
        Pool other = models.putIfAbsent(model, pool);
        if (other != null) {
          throw new IllegalArgumentException("model " + model + ": served by pools " + other.name() + " and "
              + spec.name() + " (expected: each model in one pool)");
        }
      }
    }
    this.pools = List.copyOf(built);
    this.byModel = Map.copyOf(models);
    Map<String, Pool> names = new LinkedHashMap<>();
    built.forEach(p -> names.put(p.name(), p));
    this.byName = Map.copyOf(names);
  }

  /**
   * A replica an autoscaler adds to {@code pool}: wired like the others, but out of routing until
   * the pool's segment plans are loaded after its first READY, so that its first call finds them.
   */
  private LocalReplica addedReplica(Pool pool, int index, WorkerChannels channels, WorkerCommand.Host host) {
    LocalReplica r = new LocalReplica(pool.spec(), index, scheduler, channels, launcher, host,
        RestartBackoff.standard(), sockets);
    admitWhenPlansLoaded(pool, r, () -> { });
    r.lifecycle.onMove(pool::replicasMoved);
    return r;
  }

  /**
   * Holds a replica that joins a running pool out of routing until the pool's segment plans are
   * loaded after its first READY; {@code then} runs (on any thread) each time it is READY with
   * the plans loaded.
   */
  private void admitWhenPlansLoaded(Pool pool, Replica r, Runnable then) {
    r.holdUntilAdmitted();
    r.lifecycle.onReady(() -> loadPlansInto(pool, r).whenComplete((ok, t) -> {
      admit(pool, r);
      then.run();
    }));
  }

  private static void admit(Pool pool, Replica r) {
    if (!r.admitted()) {
      r.admit();
      log.info("pool {}: replica {} takes calls", pool.name(), r.id());
      pool.replicasMoved();
    }
  }

  /**
   * Holds a member someone else runs (a static or dns pool's) out of routing until, after each
   * READY, the pool's segment plans are loaded and its metadata matches the signatures the
   * pipelines were checked against ({@link MemberSignatures}): a member that comes up later may
   * serve another version of a model (a pod of another release). Before start has read the
   * signatures, a dns member is admitted at once, since start waits for one to take calls; a
   * static one waits for start's own check ({@link #checkMembersMetadata}). {@code then} runs
   * (on any thread) each time it is admitted.
   */
  private void admitWhenChecked(Pool pool, Replica r, Runnable then) {
    r.holdUntilAdmitted();
    r.lifecycle.onReady(() -> loadPlansInto(pool, r).whenComplete((ok, t) -> scheduler.execute(() -> {
      if (signatures.isEmpty()) {
        // before start has read them: start checks the members READY by then (checkMembersMetadata)
        if (pool.spec().kind() == PoolSpec.Kind.DNS) {
          admit(pool, r);
          then.run();
        }
        return;
      }
      MemberSignatures.check(pool, r, () -> signatures, scheduler).whenComplete((v, e) -> {
        if (r.admitted()) {
          then.run();
        }
      });
    })));
  }

  /**
   * The executor of the dns pools' lookups: they block on the DNS server, so they get threads of
   * their own (one per pool at most), away from the event thread. Idle threads end.
   */
  private static ExecutorService lookupThreadFor(int dnsPools) {
    ThreadPoolExecutor e = new ThreadPoolExecutor(dnsPools, dnsPools, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "junction-dns-lookups");
          t.setDaemon(true);
          return t;
        });
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  /**
   * The config loader validates pools for users; these are the few values that would make the
   * pool misbehave rather than fail (a zero interval spins, a short cpus list throws later).
   */
  private static void checkSpec(PoolSpec spec) {
    String at = "pool " + spec.name() + ": ";
    if (spec.maxInFlight() < 1) {
      throw new IllegalArgumentException(at + "max_in_flight: " + spec.maxInFlight() + " (expected: >= 1)");
    }
    if (spec.batchMaxInFlight() < 1 || spec.batchMaxInFlight() > spec.maxInFlight()) {
      throw new IllegalArgumentException(at + "batch calls in flight per replica: " + spec.batchMaxInFlight()
          + " (expected: 1 to max_in_flight " + spec.maxInFlight() + ")");
    }
    if (spec.healthInterval().isNegative() || spec.healthInterval().isZero()) {
      throw new IllegalArgumentException(at + "health_interval: " + spec.healthInterval() + " (expected: > 0)");
    }
    if (spec.startTimeout().isNegative() || spec.startTimeout().isZero()) {
      throw new IllegalArgumentException(at + "start_timeout: " + spec.startTimeout() + " (expected: > 0)");
    }
    if (spec.kind() == PoolSpec.Kind.LOCAL && spec.cpus().size() > 1 && spec.cpus().size() != spec.maxReplicas()) {
      throw new IllegalArgumentException(at + "cpus: " + spec.cpus().size() + " entries (expected: 1, or one per replica: "
          + spec.maxReplicas() + ")");
    }
    if (spec.autoscaling().isPresent()) {
      if (spec.kind() != PoolSpec.Kind.LOCAL) {
        throw new IllegalArgumentException(at + "min_replicas/max_replicas: given for a " + spec.kind()
            + " pool (expected: autoscaling applies to local pools only)");
      }
      if (!spec.autoscaling().get().allows(spec.replicas())) {
        throw new IllegalArgumentException(at + "replicas: " + spec.replicas() + " (expected: between min_replicas "
            + spec.autoscaling().get().minReplicas() + " and max_replicas " + spec.autoscaling().get().maxReplicas()
            + ")");
      }
    }
  }

  @Override
  public void start() throws PoolStartException {
    if (closed.get()) {
      throw new IllegalStateException("pools: closed (expected: start before close)");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("pools: already started (expected: start once)");
    }
    try {
      startAndLoadMetadata();
      scalers.values().forEach(PoolScaler::start);
    } catch (PoolStartException | RuntimeException e) {
      // Never leave children behind a failed start.
      close();
      throw e;
    }
  }

  private void startAndLoadMetadata() throws PoolStartException {
    long begin = System.nanoTime();
    for (Pool pool : pools) {
      for (Replica r : pool.replicas()) {
        scheduler.execute(r::begin);
      }
    }
    dnsPools.values().forEach(DnsMembers::start);
    for (Pool pool : pools) {
      DnsMembers members = dnsPools.get(pool.name());
      if (members == null) {
        awaitSettled(pool, begin);
      } else {
        awaitFirstMember(pool, members, begin);
      }
    }
    Map<String, ModelSignature> found = new LinkedHashMap<>();
    Set<String> fusing = new HashSet<>();
    for (Pool pool : pools) {
      checkStarted(pool);
      for (String model : pool.spec().models()) {
        found.put(model, fetchSignature(pool, model));
      }
      if (allRunSegments(pool)) {
        fusing.add(pool.name());
      }
      long ready = pool.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count();
      log.info("pool {}: {} of {} replicas READY, serving {}", pool.name(), ready, pool.replicas().size(),
          pool.spec().models());
    }
    signatures = Map.copyOf(found);
    segmentPools = Set.copyOf(fusing);
    checkMembersMetadata();
    log.info("pools: {} started in {}", pools.size(), Replica.seconds(System.nanoTime() - begin));
  }

  /**
   * Checks the static and dns members READY now against the signatures just read (those READY later are
   * checked when they become READY) and waits until each is admitted or held out.
   */
  private void checkMembersMetadata() throws PoolStartException {
    List<CompletableFuture<Void>> checks = new ArrayList<>();
    for (Pool pool : pools) {
      if (pool.spec().kind() == PoolSpec.Kind.LOCAL) {
        continue; // its workers load the repository this orchestrator was given
      }
      for (Replica r : pool.replicas()) {
        CompletableFuture<Void> checked = new CompletableFuture<>();
        scheduler.execute(() -> MemberSignatures.check(pool, r, () -> signatures, scheduler)
            .whenComplete((ok, t) -> checked.complete(null)));
        checks.add(checked);
      }
    }
    try {
      CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
          .get(METADATA_TIMEOUT.toNanos() + START_WAIT_SLACK.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PoolStartException("pools: interrupted while checking static and dns members' metadata", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new PoolStartException("pools: static and dns members' metadata not checked within "
          + (METADATA_TIMEOUT.plus(START_WAIT_SLACK).toSeconds()) + " s: " + e, e);
    }
  }

  private static void awaitSettled(Pool pool, long beginNanos) throws PoolStartException {
    long limit = beginNanos + pool.spec().startTimeout().plus(START_WAIT_SLACK).toNanos();
    for (Replica r : pool.replicas()) {
      try {
        r.settled.get(Math.max(0, limit - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new PoolStartException(failure(pool, r, "not READY within " + pool.spec().startTimeout().toSeconds()
            + " s (state " + r.state() + (r.lastError.isEmpty() ? "" : ", " + r.lastError) + ")"), null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PoolStartException("pool " + pool.name() + ": interrupted while starting", e);
      } catch (ExecutionException e) {
        throw new PoolStartException(failure(pool, r, String.valueOf(e.getCause())), e.getCause());
      }
    }
  }

  /**
   * Waits until a dns pool has a member that takes calls, at most its start_timeout: the name may
   * resolve to nothing yet, or to pods still starting, so its lookups go on meanwhile.
   */
  private static void awaitFirstMember(Pool pool, DnsMembers members, long beginNanos) throws PoolStartException {
    long limit = beginNanos + pool.spec().startTimeout().toNanos();
    try {
      members.firstRoutable().get(Math.max(0, limit - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new PoolStartException("pool " + pool.name() + ": no member READY within "
          + pool.spec().startTimeout().toSeconds() + " s (expected: at least one); " + members.describe(), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PoolStartException("pool " + pool.name() + ": interrupted while starting", e);
    } catch (ExecutionException e) {
      throw new PoolStartException("pool " + pool.name() + ": " + e.getCause(), e.getCause());
    }
  }

  private static void checkStarted(Pool pool) throws PoolStartException {
    if (pool.spec().kind() == PoolSpec.Kind.LOCAL) {
      for (Replica r : pool.replicas()) {
        if (r.state() != ReplicaState.READY) {
          throw new PoolStartException(failure(pool, r,
              r.lastError.isEmpty() ? "state " + r.state() : r.lastError), null);
        }
      }
      return;
    }
    if (pool.replicas().stream().noneMatch(r -> r.state() == ReplicaState.READY)) {
      StringBuilder why = new StringBuilder();
      for (Replica r : pool.replicas()) {
        why.append("\n  ").append(r.id()).append(" at ").append(r.endpoint).append(": ").append(r.state())
            .append(r.lastError.isEmpty() ? "" : " (" + r.lastError + ")");
      }
      throw new PoolStartException("pool " + pool.name() + ": no member READY (expected: at least one)" + why, null);
    }
  }

  private static String failure(Pool pool, Replica r, String reason) {
    StringBuilder m = new StringBuilder("pool ").append(pool.name()).append(": replica ").append(r.id())
        .append(" (device ").append(pool.spec().device()).append(") could not start: ").append(reason);
    List<String> tail = r.lastLines();
    if (!tail.isEmpty()) {
      m.append("\n  its last output:");
      for (String line : tail) {
        m.append("\n    ").append(line);
      }
    }
    return m.toString();
  }

  private static ModelSignature fetchSignature(Pool pool, String model) throws PoolStartException {
    Replica r = pool.replicas().stream().filter(x -> x.state() == ReplicaState.READY).findFirst().orElseThrow();
    WorkerClient c = r.client();
    if (c == null) {
      throw new PoolStartException("pool " + pool.name() + ": replica " + r.id() + " went away during start", null);
    }
    ModelMetadataResponse md;
    try {
      md = c.modelMetadata(model, METADATA_TIMEOUT).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PoolStartException("pool " + pool.name() + ": interrupted while starting", e);
    } catch (ExecutionException e) {
      throw new PoolStartException("pool " + pool.name() + ": model " + model + ": metadata from replica "
          + r.id() + " at " + r.endpoint + ": " + Replica.describe(Status.fromThrowable(e.getCause()))
          + " (expected: the replica serves " + model + ")", e.getCause());
    }
    // Where a static or dns member's metadata came from, for the pipelines' messages: someone else runs that server.
    String source = pool.spec().kind() == PoolSpec.Kind.LOCAL ? "" : MemberSignatures.source(pool, r);
    try {
      return MemberSignatures.signature(model, md, source);
    } catch (IllegalArgumentException e) {
      throw new PoolStartException("pool " + pool.name() + ": " + e.getMessage(), null);
    }
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline) {
    return infer(model, inputs, outputs, deadline, null);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline,
      String affinityKey) {
    return infer(model, inputs, outputs, deadline, affinityKey, null);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline,
      String affinityKey, Retry retry) {
    Pool pool = byModel.get(model);
    if (pool == null) {
      return CompletableFuture.failedFuture(new UnknownModelException(model, byModel.keySet()));
    }
    if (retry != null && !pool.retryBudget().tryRetry()) {
      return CompletableFuture.failedFuture(new RetryBudgetSpentException(pool.name(), retry.last()));
    }
    Set<String> avoid = avoidFor(pool, retry);
    CompletableFuture<List<Tensor>> result = new CompletableFuture<>();
    whenSlot(pool, deadline, affinityKey, avoid, result,
        replica -> inferOn(pool, replica, model, inputs, outputs, deadline, affinityKey, avoid, List.of(), result));
    return result;
  }

  /**
   * The replicas a call should not go to: none for a first attempt (which earns the pool's
   * retry budget its share), else those the earlier attempts failed on.
   */
  private static Set<String> avoidFor(Pool pool, Retry retry) {
    if (retry == null) {
      pool.retryBudget().onCall();
      return Set.of();
    }
    Set<String> avoid = new HashSet<>();
    for (Throwable failure : retry.failures()) {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        if (t instanceof ReplicaCallException r) {
          avoid.addAll(r.failedReplicas());
        } else if (t instanceof SegmentFailedInWorkerException s) {
          avoid.add(s.replicaId());
        }
      }
    }
    return avoid;
  }

  /**
   * Whether a replica's answer says that it did not serve the call and another replica may:
   * UNAVAILABLE (it could not, or the connection was lost) or RESOURCE_EXHAUSTED (its queue is
   * full). Both come before any model ran, so the call is safe to send again.
   */
  static boolean failsOver(Status.Code code) {
    return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
  }

  /**
   * Starts a call with {@code start} once {@code pool} has a slot for it, which may be at once;
   * fails {@code result} with the pool's refusal (full and down are different answers:
   * capacity, back off, versus no replica, retry elsewhere); and takes the call out of the
   * pool's queue when its caller ends {@code result} first.
   */
  private static void whenSlot(Pool pool, Deadline deadline, String affinityKey, Set<String> avoid,
      CompletableFuture<?> result, Consumer<Replica> start) {
    CompletableFuture<Replica> slot = pool.claim(deadline, affinityKey, avoid);
    slot.whenComplete((replica, refused) -> {
      if (refused != null) {
        result.completeExceptionally(refused);
      } else {
        start.accept(replica);
      }
    });
    result.whenComplete((v, t) -> slot.cancel(false));
  }

  /**
   * The one release of a call's slot, however often it is asked for: when the call is closed at
   * the transport, or when starting it failed.
   *
   * <p>A slot stands for work the replica is doing, so it is not given back when the caller stops
   * waiting (cancel, deadline) but when the call is over at the replica as far as we can know:
   * over a call stream, when the worker has answered the call (it answers a cancelled or expired
   * call once it has dropped it, or with the answer it had already computed); as a gRPC call,
   * when gRPC closes it, which follows a cancel at once, since gRPC has no confirmation from the
   * server (the worker then drops the call from its queue within milliseconds, and stops a
   * segment within one loop iteration). So a cancelled call never makes room for another call on
   * a worker that is still running it, over the call streams that carry Junction workers' calls.
   */
  private static Runnable releaseOnce(Pool pool, Replica replica) {
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        pool.release(replica);
      }
    };
  }

  /**
   * @param affinityKey the call's session, for the replica a failover picks
   * @param avoid replicas earlier attempts of the step failed on, which a failover avoids too
   * @param failedHere replicas this call failed on before it failed over to {@code replica}; a
   *     call fails over once, when this is empty
   */
  private void inferOn(Pool pool, Replica replica, String model, List<Tensor> inputs, List<String> outputs,
      Deadline deadline, String affinityKey, Set<String> avoid, List<String> failedHere,
      CompletableFuture<List<Tensor>> result) {
    CompletableFuture<ModelInferResponse> call;
    Runnable release = releaseOnce(pool, replica);
    try {
      WorkerClient client = replica.client();
      if (client == null) {
        // Went away between the state check and now.
        release.run();
        result.completeExceptionally(new NoReadyReplicaException(pool.name(), pool.unavailableDetail()));
        return;
      }
      call = client.infer(request(model, inputs, outputs), deadline, CALL_STREAMS && segmentPools.contains(pool.name()),
          release);
    } catch (RuntimeException e) {
      release.run();
      result.completeExceptionally(new ReplicaCallException(replica.id(), Status.fromThrowable(e)));
      return;
    }
    // The slot was released by the call's close (releaseOnce), before its answer completes it.
    call.whenComplete((response, error) -> {
      if (error != null) {
        Status status = Status.fromThrowable(error);
        pool.ejections().failed(replica, status);
        Replica other = afterFailure(pool, replica, status, failedHere.isEmpty(), avoid, deadline, affinityKey, result);
        if (other != null) {
          inferOn(pool, other, model, inputs, outputs, deadline, affinityKey, avoid, List.of(replica.id()), result);
          return;
        }
        result.completeExceptionally(new ReplicaCallException(replica.id(), status, failedHere));
        return;
      }
      pool.ejections().succeeded(replica);
      try {
        result.complete(TensorCodec.fromOutputs(response.getOutputsList(), response.getRawOutputContentsList()));
      } catch (TensorFormatException e) {
        result.completeExceptionally(new ReplicaCallException(replica.id(),
            Status.INTERNAL.withDescription("unreadable response: " + e.getMessage())));
      }
    });
    // However the caller ends its future first (cancel, orTimeout, completeExceptionally), the
    // call goes too: else it would hold its slot until the worker answers, which may be never.
    result.whenComplete((v, t) -> {
      if (!call.isDone()) {
        call.cancel(false);
      }
    });
  }

  /**
   * Where a call that {@code replica} answered with {@code status} goes next: when the replica
   * did not serve it ({@link #failsOver}) and {@code mayMove} (the call has not failed over yet,
   * nor streamed anything), to another replica ({@link #failOver}); else null. An UNAVAILABLE
   * replica is probed at once.
   */
  private static Replica afterFailure(Pool pool, Replica replica, Status status, boolean mayMove, Set<String> avoid,
      Deadline deadline, String affinityKey, CompletableFuture<?> result) {
    if (!failsOver(status.getCode())) {
      return null;
    }
    if (status.getCode() == Status.Code.UNAVAILABLE) {
      replica.probeSoon(); // a full queue (RESOURCE_EXHAUSTED) says nothing of its health
    }
    return mayMove ? failOver(pool, replica, avoid, deadline, affinityKey, result) : null;
  }

  /**
   * Where a call that {@code failed} could not serve ({@link #failsOver}: it never reached a
   * model) goes at once: another routable replica with a free slot, not one of {@code avoid}
   * (where the step's earlier attempts failed), claimed, while the caller still waits, its
   * deadline has time left and the pool's retry budget has a token; else null, and the failure
   * goes to the caller, whose own retry (the pipeline step's) waits its turn. Once per call, so a
   * failing pool costs at most one extra call per request here.
   */
  private static Replica failOver(Pool pool, Replica failed, Set<String> avoid, Deadline deadline,
      String affinityKey, CompletableFuture<?> result) {
    if (result.isDone() || (deadline != null && deadline.isExpired())) {
      return null;
    }
    Set<String> failedOn = new HashSet<>(avoid);
    failedOn.add(failed.id());
    Replica other = pool.claimOther(failedOn, affinityKey);
    if (other == null) {
      return null;
    }
    if (!pool.retryBudget().tryRetry()) {
      pool.release(other);
      log.debug("pool {}: replica {} could not serve a call; not failing over: retry budget spent", pool.name(),
          failed.id());
      return null;
    }
    log.debug("pool {}: replica {} could not serve a call; failing over to {}", pool.name(), failed.id(), other.id());
    return other;
  }

  /** Asks each READY member whether it runs segments (ServerMetadata's extensions); all must. */
  private static boolean allRunSegments(Pool pool) {
    for (Replica r : pool.replicas()) {
      WorkerClient c = r.client();
      if (r.state() != ReplicaState.READY || c == null) {
        continue;
      }
      try {
        if (!c.serverMetadata(METADATA_TIMEOUT).get().getExtensionsList().contains(SegmentProtocol.EXTENSION)) {
          log.info("pool {}: member {} runs no fused segments: its steps get one ModelInfer each", pool.name(), r.id());
          return false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (ExecutionException e) {
        log.info("pool {}: member {} did not say whether it runs segments ({}): its steps get one ModelInfer each",
            pool.name(), r.id(), Replica.describe(Status.fromThrowable(e.getCause())));
        return false;
      }
    }
    return true;
  }

  /** Model calls sent over call streams to the current replicas of {@code pool} (for tests). */
  long callsOverStreams(String pool) {
    long n = 0;
    for (Replica r : byName.get(pool).replicas()) {
      WorkerClient c = r.client();
      n += c == null ? 0 : c.callsOverStreams();
    }
    return n;
  }

  @Override
  public boolean runsSegments(String pool) {
    return segmentPools.contains(pool);
  }

  @Override
  public void installPlans(String pool, List<SegmentPlan> segmentPlans) {
    Pool p = byName.get(pool);
    if (p == null || !segmentPools.contains(pool)) {
      throw new IllegalArgumentException("pool " + pool + ": runs no segments (expected: a pool of Junction workers)");
    }
    plans.put(pool, List.copyOf(segmentPlans));
    batchRows.put(pool, new ConcurrentHashMap<>());
    batchers.keySet().removeIf(k -> k.startsWith(pool + '\u0000'));
    for (Replica r : p.replicas()) {
      if (r.state() != ReplicaState.READY) {
        continue; // loaded when it becomes READY
      }
      try {
        loadPlansInto(p, r).get(METADATA_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        Status status = Status.fromThrowable(e instanceof ExecutionException ? e.getCause() : e);
        if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
          throw new IllegalArgumentException("pool " + pool + ": replica " + r.id() + " refused segment plans: "
              + status.getDescription(), e);
        }
        // Going away, say: it gets the plans when it is READY again, or when a call finds them missing.
        log.warn("pool {}: replica {} did not load segment plans now: {}", pool, r.id(), Replica.describe(status));
      }
    }
  }

  /** Loads the pool's plans into a replica; never blocks. Runs each time the replica becomes READY. */
  private CompletableFuture<LoadPlansResponse> loadPlansInto(Pool pool, Replica r) {
    List<SegmentPlan> ps = plans.getOrDefault(pool.name(), List.of());
    WorkerClient c = r.client();
    if (ps.isEmpty() || c == null) {
      return CompletableFuture.completedFuture(LoadPlansResponse.getDefaultInstance());
    }
    CompletableFuture<LoadPlansResponse> loaded;
    try {
      loaded = c.loadPlans(LoadPlansRequest.newBuilder().addAllPlans(ps).build(), METADATA_TIMEOUT);
    } catch (RuntimeException e) {
      loaded = CompletableFuture.failedFuture(e);
    }
    return loaded.whenComplete((ok, t) -> {
      if (t != null) {
        log.warn("pool {}: replica {}: segment plans not loaded: {}", pool.name(), r.id(),
            Replica.describe(Status.fromThrowable(t)));
      } else {
        log.info("pool {}: replica {} loaded segment plans {}{}", pool.name(), r.id(), ok.getLoadedList(),
            ok.getBatchRowsCount() == 0 ? "" : ", of which run row by row (batch rows): " + ok.getBatchRowsMap());
        Map<String, Integer> rows = batchRows.computeIfAbsent(pool.name(), k -> new ConcurrentHashMap<>());
        for (SegmentPlan plan : ps) {
          rows.merge(plan.getId(), ok.getBatchRowsOrDefault(plan.getId(), 0), Math::min);
        }
      }
    });
  }

  @Override
  public CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, Deadline deadline, IterationListener listener) {
    return runSegment(pool, planId, inputs, outputs, maxIterations, deadline, listener, null);
  }

  @Override
  public CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, Deadline deadline, IterationListener listener, String affinityKey) {
    return runSegment(pool, planId, inputs, outputs, maxIterations, StepLimit.NONE, deadline, listener, affinityKey);
  }

  /**
   * Runs of a row-wise plan may be stacked whatever their step limit: such a plan has no loop, so
   * each run executes its steps once, and the engine counts them from the answer.
   */
  @Override
  public CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, Deadline deadline, IterationListener listener,
      String affinityKey) {
    return runSegment(pool, planId, inputs, outputs, maxIterations, steps, deadline, listener, affinityKey, null);
  }

  @Override
  public CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, Deadline deadline, IterationListener listener,
      String affinityKey, Retry retry) {
    Pool p = byName.get(pool);
    if (p == null || !segmentPools.contains(pool)) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "pool " + pool + ": runs no segments (expected: a pool of Junction workers)"));
    }
    if (retry != null && !p.retryBudget().tryRetry()) {
      return CompletableFuture.failedFuture(new RetryBudgetSpentException(pool, retry.last()));
    }
    Set<String> avoid = avoidFor(p, retry);
    if (listener == IterationListener.NONE && affinityKey == null && maxIterations == 0 && avoid.isEmpty()) {
      SegmentBatcher batcher = batcher(p, planId);
      if (batcher != null) {
        return batcher.submit(inputs, outputs, deadline);
      }
    }
    return runSegmentCall(p, planId, inputs, outputs, maxIterations, steps, deadline, listener, affinityKey, avoid);
  }

  /**
   * The batcher of a plan that works row by row on {@code pool}, or null. Calls of the plan in
   * flight at once before new runs wait to be stacked: {@value #BATCHED_CALLS_PER_REPLICA} per
   * replica. One beat two (3-step, 64 clients: 39,300-42,500 against 35,200-36,400 req/s; 8
   * clients: 9,860 against 7,820 req/s, p99 2.1 against 3.6 ms): the worker's batching takes a
   * stacked call's rows at once, and fewer, fuller calls cost less per request on both sides.
   */
  private SegmentBatcher batcher(Pool pool, String planId) {
    String key = pool.name() + '\u0000' + planId;
    SegmentBatcher b = batchers.get(key);
    if (b != null) {
      return b;
    }
    int rows = batchRows.getOrDefault(pool.name(), Map.of()).getOrDefault(planId, 0);
    if (rows < 2) {
      return null;
    }
    return batchers.computeIfAbsent(key, k -> new SegmentBatcher(pool.name(), rows,
        () -> BATCHED_CALLS_PER_REPLICA * pool.replicas().size(),
        (in, out, d) -> runSegmentCall(pool, planId, in, out, 0, StepLimit.NONE, d, IterationListener.NONE, null,
            Set.of())));
  }

  /** One RunSegment call of the plan on a replica of {@code p}. */
  private CompletableFuture<ModelInvoker.SegmentAnswer> runSegmentCall(Pool p, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, Deadline deadline, IterationListener listener,
      String affinityKey, Set<String> avoid) {
    RunSegmentRequest.Builder request = RunSegmentRequest.newBuilder().setPlanId(planId)
        .addAllOutputs(outputs).setMaxIterations(maxIterations)
        .setMaxSteps(steps.equals(StepLimit.NONE) ? 0 : steps.max()).setStepsBefore(steps.executedBefore())
        .setSendIterations(listener != IterationListener.NONE);
    for (Tensor t : inputs) {
      request.addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data());
    }
    CompletableFuture<ModelInvoker.SegmentAnswer> result = new CompletableFuture<>();
    runSegmentOn(p, request.build(), deadline, listener, affinityKey, avoid, result, true);
    return result;
  }

  private void runSegmentOn(Pool pool, RunSegmentRequest request, Deadline deadline, IterationListener listener,
      String affinityKey, Set<String> avoid, CompletableFuture<ModelInvoker.SegmentAnswer> result, boolean mayReload) {
    whenSlot(pool, deadline, affinityKey, avoid, result,
        replica -> runSegmentOn(pool, replica, request, deadline, listener, affinityKey, avoid, result, mayReload,
            List.of()));
  }

  /**
   * @param avoid replicas earlier attempts of the step failed on, which a failover avoids too
   * @param failedHere replicas this call failed on before it failed over to {@code replica}; a
   *     failure before any event was relayed may send the segment once to another replica (see
   *     {@link #failOver}), when this is empty
   */
  private void runSegmentOn(Pool pool, Replica replica, RunSegmentRequest request, Deadline deadline,
      IterationListener listener, String affinityKey, Set<String> avoid,
      CompletableFuture<ModelInvoker.SegmentAnswer> result, boolean mayReload, List<String> failedHere) {
    WorkerClient client = replica.client();
    Runnable release = releaseOnce(pool, replica);
    if (client == null) {
      release.run();
      result.completeExceptionally(new NoReadyReplicaException(pool.name(), pool.unavailableDetail()));
      return;
    }
    CompletableFuture<SegmentResult> call;
    // A segment that streamed something cannot go elsewhere: it would stream it twice.
    AtomicBoolean relayed = new AtomicBoolean();
    try {
      call = client.runSegment(request, deadline, event -> {
        relayed.set(true);
        relay(event, listener);
      }, release);
    } catch (RuntimeException e) {
      release.run();
      result.completeExceptionally(new ReplicaCallException(replica.id(), Status.fromThrowable(e)));
      return;
    }
    // The slot was released by the call's close (releaseOnce), before its answer completes it.
    call.whenComplete((answer, error) -> {
      if (error == null) {
        pool.ejections().succeeded(replica);
        try {
          List<PipelineResult.StepTiming> steps = answer.getStepsList().stream()
              .map(s -> new PipelineResult.StepTiming(s.getStep(), s.getMicros(), s.getAttempts())).toList();
          result.complete(new ModelInvoker.SegmentAnswer(
              TensorCodec.fromOutputs(answer.getOutputsList(), answer.getRawOutputContentsList()), steps, replica.id(),
              answer.getStepsExecuted()));
        } catch (TensorFormatException e) {
          result.completeExceptionally(new ReplicaCallException(replica.id(),
              Status.INTERNAL.withDescription("unreadable segment result: " + e.getMessage())));
        }
        return;
      }
      Status status = Status.fromThrowable(error);
      pool.ejections().failed(replica, status);
      if (SegmentProtocol.isSegmentFailure(Status.trailersFromThrowable(error))) {
        result.completeExceptionally(new SegmentFailedInWorkerException(replica.id(), status));
      } else if (status.getCode() == Status.Code.NOT_FOUND && mayReload && !result.isDone()) {
        // The replica lacks the plan (restarted before its READY load, or a member restarted
        // by someone else): give it the plans, then ask once more.
        log.info("pool {}: replica {} lacks segment plan {}: loading the plans, then asking again", pool.name(),
            replica.id(), request.getPlanId());
        loadPlansInto(pool, replica).whenComplete((ok, t) ->
            runSegmentOn(pool, request, deadline, listener, affinityKey, avoid, result, false));
      } else {
        Replica other = afterFailure(pool, replica, status, failedHere.isEmpty() && !relayed.get(), avoid, deadline,
            affinityKey, result);
        if (other != null) {
          runSegmentOn(pool, other, request, deadline, listener, affinityKey, avoid, result, mayReload,
              List.of(replica.id()));
          return;
        }
        result.completeExceptionally(new ReplicaCallException(replica.id(), status, failedHere));
      }
    });
    result.whenComplete((v, t) -> {
      if (!call.isDone()) {
        call.cancel(false);
      }
    });
  }

  /** A segment's event before its result, decoded for the engine's listener. */
  private static void relay(SegmentEvent event, IterationListener listener) {
    if (event.hasIteration()) {
      SegmentIteration it = event.getIteration();
      listener.onIteration(it.getStep(), it.getIndex(), TensorCodec.fromOutputs(it.getValuesList(), it.getRawValuesList()));
    } else if (event.hasOutput()) {
      SegmentOutput o = event.getOutput();
      listener.onOutput(o.getOutput().getName(),
          TensorCodec.fromOutputs(List.of(o.getOutput()), List.of(o.getRawContents())).get(0));
    }
  }

  private static ModelInferRequest request(String model, List<Tensor> inputs, List<String> outputs) {
    ModelInferRequest.Builder b = TensorCodec.addRawInputs(ModelInferRequest.newBuilder().setModelName(model), inputs);
    for (String o : outputs) {
      b.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(o));
    }
    return b.build();
  }

  @Override
  public Map<String, ModelSignature> models() {
    return signatures;
  }

  @Override
  public Optional<String> poolOf(String model) {
    return Optional.ofNullable(byModel.get(model)).map(Pool::name);
  }

  @Override
  public List<PoolSnapshot> snapshot() {
    List<PoolSnapshot> out = new ArrayList<>(pools.size());
    for (Pool p : pools) {
      out.add(p.snapshot(Optional.ofNullable(scalers.get(p.name())).map(PoolScaler::status),
          Optional.ofNullable(dnsPools.get(p.name())).map(DnsMembers::status)));
    }
    return out;
  }

  @Override
  public synchronized PoolSnapshot.ReplicaSnapshot drainReplica(String replicaId) {
    // synchronized: two drains at once must not both count the other's replica as the one left
    List<String> ids = new ArrayList<>();
    for (Pool p : pools) {
      for (Replica r : p.replicas()) {
        if (r.id().equals(replicaId)) {
          return drain(p, r);
        }
        ids.add(r.id());
      }
    }
    throw new UnknownReplicaException(replicaId, ids);
  }

  private static PoolSnapshot.ReplicaSnapshot drain(Pool pool, Replica r) {
    ReplicaState s = r.state();
    if (s != ReplicaState.READY && s != ReplicaState.UNHEALTHY) {
      throw new ReplicaDrainRefusedException("replica_id: \"" + r.id() + "\" is " + s
          + " (expected: a READY or UNHEALTHY replica; a DRAINING one is leaving already)");
    }
    if (pool.replicas().stream().noneMatch(x -> x != r && x.state() == ReplicaState.READY)) {
      throw new ReplicaDrainRefusedException("replica_id: \"" + r.id() + "\" is the last replica of pool "
          + pool.name() + " able to serve; draining it would leave " + pool.spec().models()
          + " unserved (expected: another READY replica in the pool)");
    }
    if (!r.startDrain()) {
      throw new ReplicaDrainRefusedException("replica_id: \"" + r.id() + "\" is " + r.state()
          + " (expected: a READY or UNHEALTHY replica)");
    }
    return r.snapshot();
  }

  @Override
  public List<ReplicaStats> workerStats(Duration timeout) {
    List<CompletableFuture<ReplicaStats>> asked = new ArrayList<>();
    for (Pool p : pools) {
      for (Replica r : p.replicas()) {
        WorkerClient c = r.client();
        if (r.state() == ReplicaState.READY && c != null) {
          // The call's own deadline is the timeout, so every future ends by then.
          asked.add(c.stats(timeout).thenApply(s -> new ReplicaStats(p.name(), r.id(), s)));
        }
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ReplicaStats> out = new ArrayList<>(asked.size());
    for (CompletableFuture<ReplicaStats> f : asked) {
      try {
        out.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (ExecutionException | TimeoutException e) {
        f.cancel(false);
        log.debug("worker stats left out: {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Close on the event thread, so that no launch or restart runs after we have looked.
    CompletableFuture<Void> closing = new CompletableFuture<>();
    scheduler.execute(() -> {
      beginClose();
      closing.complete(null);
    });
    try {
      closing.get(STOP_GRACE.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("pools: the event thread did not take the close in time; closing from {}", Thread.currentThread().getName());
    }
    scheduler.shutdown();
    if (!closing.isDone()) {
      beginClose(); // the event thread is stopped now, so this cannot race a launch
    }
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    for (Pool p : pools) {
      for (Replica r : p.replicas()) {
        r.finishClose(deadline);
      }
    }
    if (dnsLookups != null) {
      dnsLookups.shutdownNow(); // a lookup that still blocks answers to no one
    }
    sockets.close();
    launcher.close();
    log.info("pools: closed");
  }

  private void beginClose() {
    scalers.values().forEach(PoolScaler::stop);
    dnsPools.values().forEach(DnsMembers::stop);
    for (Pool p : pools) {
      for (Replica r : p.replicas()) {
        r.beginClose();
      }
    }
  }
}
