package io.junction.orchestrator.pool;

import io.grpc.Deadline;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.orchestrator.routing.Picker;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The public face of the pool package: every pool of the orchestrator, and one call to send
 * an inference to a replica of the pool that serves a model. What the pipeline engine and
 * the services see; replicas, launchers and health checks stay behind it.
 */
public interface Pools extends AutoCloseable {

  /** Largest response a worker may send: big score tensors must fit. */
  int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

  /**
   * The pools of {@code specs}, not started yet: local replicas are launched as worker JVMs,
   * static members are reached over plaintext gRPC. Nothing runs until {@link #start()}.
   *
   * @throws IllegalArgumentException for a kind not supported yet (dns), a pool without
   *     replicas, or a model served by two pools
   */
  static Pools create(List<PoolSpec> specs) {
    return new PoolSet(specs, new ExecutorScheduler(),
        // directExecutor: callbacks only complete futures and post events, never block, and
        // skipping the executor hop is what makes loopback calls cheap (see DESIGN.md).
        target -> NettyChannelBuilder.forTarget(target)
            .usePlaintext()
            .directExecutor()
            .maxInboundMessageSize(MAX_RESPONSE_BYTES)
            .build(),
        new ProcessLauncher(), WorkerCommand.Host.current(),
        spec -> Picker.leastOutstanding(spec.maxInFlight()));
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

  /** Stops every pool; local replicas are terminated (then killed after a grace period). */
  @Override
  void close();
}
