package io.junction.orchestrator.pool;

import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.junction.engine.IterationListener;
import io.junction.engine.ModelInvoker;
import io.junction.engine.StepLimit;
import io.junction.engine.ModelSignature;
import io.junction.engine.Retry;
import io.junction.grpc.EventLoops;
import io.junction.proto.v1.SegmentPlan;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The public face of the pool package: every pool of the orchestrator, and one call to send
 * an inference to a replica of the pool that serves a model. What the pipeline engine and
 * the services see; replicas, launchers and health checks stay behind it.
 */
public interface Pools extends AutoCloseable {

  /** Largest response a worker may send: big score tensors must fit. */
  int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

  /**
   * The pools of {@code specs}, not started yet: local replicas are launched as worker JVMs and
   * reached over Unix sockets (TCP when {@code loops} has none), static members over plaintext
   * gRPC on TCP. Every channel runs on {@code loops}, one per loop and worker, which the caller
   * closes after the pools. Nothing runs until {@link #start()}.
   *
   * @throws IllegalArgumentException for a local or static pool without replicas, or a model
   *     served by two pools
   */
  static Pools create(List<PoolSpec> specs, EventLoops loops) {
    return new PoolSet(specs, new ExecutorScheduler(), new WorkerChannels() {
      @Override
      public List<ManagedChannel> open(String target) {
        List<ManagedChannel> out = new ArrayList<>(loops.size());
        // directExecutor (set by EventLoops): callbacks only complete futures and post events,
        // never block, and skipping the executor hop is what makes loopback calls cheap.
        loops.channelsTo(target).forEach(b -> out.add(b.maxInboundMessageSize(MAX_RESPONSE_BYTES).build()));
        return out;
      }

      @Override
      public int currentLoop() {
        return loops.currentLoop();
      }

      @Override
      public ScheduledExecutorService loop(int index) {
        return loops.loop(index);
      }

      @Override
      public boolean unixSockets() {
        return loops.unixSockets();
      }
    }, new ProcessLauncher(), WorkerCommand.Host.current(), Pool::pickerFor,
        specs.stream().anyMatch(s -> s.kind() == PoolSpec.Kind.DNS) ? DnsResolver.jdk() : DnsResolver.NONE);
  }

  /**
   * Starts every pool and waits until each has at least one READY replica (local replicas
   * spawned, static members probed) and the metadata of its models is known.
   *
   * @throws PoolStartException naming the pool and replica that could not start, and why
   */
  void start() throws PoolStartException;

  /**
   * Sends one inference for {@code model} to a replica chosen by least outstanding requests.
   * Completes exceptionally with {@link UnknownModelException}, {@link NoReadyReplicaException}
   * or {@link ReplicaCallException}; never blocks the caller. The future may complete on a
   * gRPC event loop: what is chained on it must not block. Cancelling it (or completing it
   * any other way, as orTimeout does) before the answer cancels the call and frees its slot.
   *
   * @param deadline the call's deadline, or null for none
   *
   * @param outputs outputs to ask for; empty means all
   */
  CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline);

  /**
   * As {@link #infer(String, List, List, Deadline)}, for a call that belongs to a session: a pool
   * with {@code affinity: session} sends every call of {@code affinityKey} to one READY replica
   * (the next by rank when it is full or gone); other pools ignore the key.
   *
   * @param affinityKey the session's id, or null for none
   */
  default CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
      Deadline deadline, String affinityKey) {
    return infer(model, inputs, outputs, deadline);
  }

  /**
   * As {@link #infer(String, List, List, Deadline, String)}, for an attempt of a pipeline step:
   * {@code retry} is null for the first attempt. A retry goes to a replica other than those its
   * earlier attempts failed on ({@link ReplicaCallException#failedReplicas()}) while the pool has
   * another routable one, and only when the pool's retry budget has a token; else it fails at
   * once with {@link RetryBudgetSpentException}, whose cause is the failure it would have retried.
   */
  default CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs,
      Deadline deadline, String affinityKey, Retry retry) {
    return infer(model, inputs, outputs, deadline, affinityKey);
  }

  /**
   * True when every member of {@code pool} runs fused pipeline segments (Junction workers do;
   * a member that speaks only the Open Inference Protocol does not), as seen at start.
   */
  default boolean runsSegments(String pool) {
    return false;
  }

  /**
   * Gives a pool fused segment plans: loads them into every READY replica now, and into every
   * replica that becomes READY later (a restart, a member back from UNHEALTHY).
   *
   * @throws IllegalArgumentException naming the replica and plan when a worker refuses a plan
   *     (it does not compile against its models)
   */
  default void installPlans(String pool, List<SegmentPlan> plans) {
    if (!plans.isEmpty()) {
      throw new UnsupportedOperationException("pool " + pool + ": runs no segments");
    }
  }

  /**
   * Runs a fused segment on a replica of {@code pool} chosen as {@link #infer} chooses, handing
   * each loop iteration and each early output of the segment to {@code listener} as it arrives
   * (on a transport thread: it must not block). Completes exceptionally with {@link SegmentFailedInWorkerException} when the segment
   * failed inside the worker, else as {@link #infer} does. A replica that lacks the plan (it
   * restarted) is given the plans and asked once more.
   *
   * @param maxIterations 0 keeps the plan's loop limits
   */
  default CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, Deadline deadline, IterationListener listener) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("pool " + pool + ": runs no segments"));
  }

  /**
   * As {@link #runSegment(String, String, List, List, int, Deadline, IterationListener)}, choosing
   * the replica by {@code affinityKey} as {@link #infer(String, List, List, Deadline, String)} does.
   *
   * @param affinityKey the session's id, or null for none
   */
  default CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, Deadline deadline, IterationListener onIteration, String affinityKey) {
    return runSegment(pool, planId, inputs, outputs, maxIterations, deadline, onIteration);
  }

  /**
   * As {@link #runSegment(String, String, List, List, int, Deadline, IterationListener, String)},
   * with the pipeline run's step limit and its count so far, for the worker to stop the segment
   * where the run passes the limit.
   */
  default CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, Deadline deadline, IterationListener onIteration,
      String affinityKey) {
    return runSegment(pool, planId, inputs, outputs, maxIterations, deadline, onIteration, affinityKey);
  }

  /**
   * As {@link #runSegment(String, String, List, List, int, StepLimit, Deadline, IterationListener, String)},
   * for an attempt of the segment; {@code retry} as for {@link #infer(String, List, List, Deadline, String, Retry)}.
   */
  default CompletableFuture<ModelInvoker.SegmentAnswer> runSegment(String pool, String planId, List<Tensor> inputs,
      List<String> outputs, int maxIterations, StepLimit steps, Deadline deadline, IterationListener onIteration,
      String affinityKey, Retry retry) {
    return runSegment(pool, planId, inputs, outputs, maxIterations, steps, deadline, onIteration, affinityKey);
  }

  /** Inputs and outputs of every model served by some pool, keyed by model name. */
  Map<String, ModelSignature> models();

  /** The pool that serves a model. */
  Optional<String> poolOf(String model);

  /** A consistent-enough view of every pool and replica, for status and metrics. */
  List<PoolSnapshot> snapshot();

  /**
   * Asks every READY replica for its worker's stats and waits for the answers, at most
   * {@code timeout}: a replica that does not answer in time, or does not speak
   * {@code WorkerControl} (a Triton or MLServer member), is left out. Blocks the calling thread,
   * so call it from a thread of its own (the HTTP endpoint's), never from an event loop. Pools
   * that cannot ask their workers anything report none.
   */
  default List<ReplicaStats> workerStats(Duration timeout) {
    return List.of();
  }

  /**
   * DrainReplica: takes the replica out of routing now (it is DRAINING when this returns); its
   * calls in flight finish, its worker is told to drain, and it leaves: a local replica is
   * replaced by a fresh worker process, a static member is STOPPED. Never blocks.
   *
   * @return the replica as it is now
   * @throws UnknownReplicaException when no pool has a replica of that id
   * @throws ReplicaDrainRefusedException when it is not READY or UNHEALTHY, or no other replica of
   *     its pool is READY (its models would go unserved)
   */
  default PoolSnapshot.ReplicaSnapshot drainReplica(String replicaId) {
    throw new UnknownReplicaException(replicaId, List.of());
  }

  /** Stops every pool; local replicas are terminated (then killed after a grace period). */
  @Override
  void close();
}
