package io.junction.orchestrator.pipeline;

import io.grpc.Deadline;
import io.junction.orchestrator.pool.ModelSignature;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.pool.UnknownModelException;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A fake of the pool package for unit tests of the pipeline engine only: each model answers
 * with a handler (at once, or later through a held future) and every call is recorded.
 */
final class FakePools implements Pools {
  private final Map<String, ModelSignature> models = new LinkedHashMap<>();
  private final Map<String, Function<Call, CompletableFuture<List<Tensor>>>> handlers = new LinkedHashMap<>();
  private final List<Call> calls = new ArrayList<>();

  /** One recorded call; {@code future} is what the engine got. */
  record Call(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline, CompletableFuture<List<Tensor>> future) {
    Tensor input(String name) {
      return inputs.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }
  }

  FakePools add(ModelSignature signature, Function<Call, CompletableFuture<List<Tensor>>> handler) {
    models.put(signature.name(), signature);
    handlers.put(signature.name(), handler);
    return this;
  }

  /** Answers at once with what {@code fn} computes from the call. */
  static Function<Call, CompletableFuture<List<Tensor>>> answer(Function<Call, List<Tensor>> fn) {
    return call -> CompletableFuture.completedFuture(fn.apply(call));
  }

  /** Never answers by itself: the test completes {@link Call#future()}. */
  static Function<Call, CompletableFuture<List<Tensor>>> hold() {
    return call -> new CompletableFuture<>();
  }

  void handle(String model, Function<Call, CompletableFuture<List<Tensor>>> handler) {
    handlers.put(model, handler);
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  synchronized List<Call> calls(String model) {
    return calls.stream().filter(c -> c.model().equals(model)).toList();
  }

  @Override
  public void start() {}

  @Override
  public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline) {
    Function<Call, CompletableFuture<List<Tensor>>> handler = handlers.get(model);
    if (handler == null) {
      return CompletableFuture.failedFuture(new UnknownModelException(model, models.keySet()));
    }
    CompletableFuture<List<Tensor>> future = new CompletableFuture<>();
    Call call = new Call(model, List.copyOf(inputs), List.copyOf(outputs), deadline, future);
    synchronized (this) {
      calls.add(call);
    }
    handler.apply(call).whenComplete((r, e) -> {
      if (e != null) {
        future.completeExceptionally(e);
      } else {
        future.complete(r);
      }
    });
    return future;
  }

  @Override
  public Map<String, ModelSignature> models() {
    return Map.copyOf(models);
  }

  @Override
  public Optional<String> poolOf(String model) {
    return models.containsKey(model) ? Optional.of("fake") : Optional.empty();
  }

  @Override
  public List<PoolSnapshot> snapshot() {
    return List.of();
  }

  @Override
  public void close() {}
}
