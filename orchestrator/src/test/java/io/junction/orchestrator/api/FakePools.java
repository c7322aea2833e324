package io.junction.orchestrator.api;

import io.grpc.Deadline;
import io.junction.engine.ModelSignature;
import io.junction.orchestrator.pool.Device;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.pool.PoolStartException;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.pool.UnknownModelException;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fake of the pool package for unit tests of one thin service: pools are snapshots the test
 * sets, and inference answers with what the test says.
 */
public final class FakePools implements Pools {
  @FunctionalInterface
  public interface Handler {
    CompletableFuture<List<Tensor>> infer(List<Tensor> inputs, List<String> outputs, Deadline deadline);
  }

  public record Call(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline) {}

  private final Map<String, ModelSignature> models = new ConcurrentHashMap<>();
  private final Map<String, String> poolOf = new ConcurrentHashMap<>();
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  private volatile List<PoolSnapshot> snapshot = List.of();
  private volatile Call last;
  private volatile PoolStartException startFailure;
  public final AtomicBoolean started = new AtomicBoolean();
  public final AtomicBoolean closed = new AtomicBoolean();

  public FakePools model(String pool, ModelSignature signature, Handler handler) {
    models.put(signature.name(), signature);
    poolOf.put(signature.name(), pool);
    handlers.put(signature.name(), handler);
    return this;
  }

  public FakePools snapshot(List<PoolSnapshot> pools) {
    this.snapshot = List.copyOf(pools);
    return this;
  }

  public Call last() {
    return last;
  }

  /** Makes {@link #start()} throw, as a pool whose workers cannot start does. */
  public FakePools failStart(PoolStartException e) {
    this.startFailure = e;
    return this;
  }

  @Override
  public void start() throws PoolStartException {
    if (startFailure != null) {
      throw startFailure;
    }
    started.set(true);
  }

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline) {
    last = new Call(model, inputs, outputs, deadline);
    Handler h = handlers.get(model);
    if (h == null) {
      return CompletableFuture.failedFuture(new UnknownModelException(model, models.keySet()));
    }
    return h.infer(inputs, outputs, deadline);
  }

  @Override
  public Map<String, ModelSignature> models() {
    return Map.copyOf(models);
  }

  @Override
  public Optional<String> poolOf(String model) {
    return Optional.ofNullable(poolOf.get(model));
  }

  @Override
  public List<PoolSnapshot> snapshot() {
    return snapshot;
  }

  @Override
  public void close() {
    closed.set(true);
  }

  // ---- snapshots ----

  public static PoolSnapshot pool(String name, List<String> models, String... replicaStates) {
    List<PoolSnapshot.ReplicaSnapshot> replicas = new ArrayList<>();
    for (int i = 0; i < replicaStates.length; i++) {
      replicas.add(new PoolSnapshot.ReplicaSnapshot(name + "-" + i, 1000 + i, "127.0.0.1:" + (9000 + i), "", "cpu",
          replicaStates[i], i, 0, i == 0 ? "0-1" : "", replicaStates[i].equals("FAILED") ? "exited with 1" : ""));
    }
    return new PoolSnapshot(name, PoolSpec.Kind.LOCAL, models, Device.CPU, replicas);
  }
}
