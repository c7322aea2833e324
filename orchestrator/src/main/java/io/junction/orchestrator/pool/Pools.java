package io.junction.orchestrator.pool;

import io.grpc.Deadline;
import io.junction.tensor.Tensor;
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
   * or {@link ReplicaCallException}; never blocks the caller.
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

  /** Stops every pool; local replicas are terminated (then killed after a grace period). */
  @Override
  void close();
}
