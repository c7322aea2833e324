package io.junction.orchestrator.api;

import io.grpc.Deadline;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.engine.PipelineSpec;
import io.junction.engine.RunOptions;
import io.junction.engine.TensorRef;
import io.junction.engine.UnknownPipelineException;
import io.junction.orchestrator.pipeline.IterationOutputs;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fake of the pipeline package for unit tests of one thin service: each pipeline answers with
 * what the test says, and the last call is kept so that tests can check what the service sent.
 */
public final class FakePipelines implements Pipelines {
  @FunctionalInterface
  public interface Handler {
    CompletableFuture<PipelineResult> run(List<Tensor> inputs, RunOptions options, Deadline deadline);
  }

  /** A handler that also gets the run's listener, to tell outputs and iterations as a real run does. */
  @FunctionalInterface
  public interface StreamingHandler {
    CompletableFuture<PipelineResult> run(List<Tensor> inputs, RunOptions options, Deadline deadline,
        IterationListener listener);
  }

  public record Call(String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline) {}

  private final Map<String, PipelineDescription> descriptions = new ConcurrentHashMap<>();
  private final Map<String, StreamingHandler> handlers = new ConcurrentHashMap<>();
  private volatile Call last;

  public FakePipelines put(PipelineDescription description, Handler handler) {
    return putStreaming(description, (in, o, d, l) -> handler.run(in, o, d));
  }

  /** Adds a pipeline whose handler gets the run's listener. */
  public FakePipelines putStreaming(PipelineDescription description, StreamingHandler handler) {
    descriptions.put(description.name(), description);
    handlers.put(description.name(), handler);
    return this;
  }

  /** Replaces the handler of a pipeline that {@link #put} added. */
  public FakePipelines answer(String pipeline, Handler handler) {
    return answerStreaming(pipeline, (in, o, d, l) -> handler.run(in, o, d));
  }

  /** Replaces the handler of a pipeline that {@link #put} added with one that gets the listener. */
  public FakePipelines answerStreaming(String pipeline, StreamingHandler handler) {
    if (!descriptions.containsKey(pipeline)) {
      throw new IllegalArgumentException("no pipeline " + pipeline);
    }
    handlers.put(pipeline, handler);
    return this;
  }

  public Call last() {
    return last;
  }

  public void forget() {
    last = null;
  }

  @Override
  public List<PipelineDescription> describe() {
    return new ArrayList<>(descriptions.values());
  }

  @Override
  public Optional<PipelineDescription> describe(String pipeline) {
    return Optional.ofNullable(descriptions.get(pipeline));
  }

  /** The demo chat's, for a chat pipeline the test put here; none for others. */
  @Override
  public IterationOutputs iterationOutputs(String pipeline) {
    return pipeline.equals("chat") && descriptions.containsKey("chat") ? chatIterations() : IterationOutputs.NONE;
  }

  /** Tells the listener only what a streaming handler tells it; other handlers answer whole results. */
  @Override
  public CompletableFuture<PipelineResult> run(
      String pipeline, List<Tensor> inputs, RunOptions options, Deadline deadline, IterationListener listener) {
    last = new Call(pipeline, inputs, options, deadline);
    StreamingHandler h = handlers.get(pipeline);
    if (h == null) {
      return CompletableFuture.failedFuture(new UnknownPipelineException(pipeline, descriptions.keySet()));
    }
    return h.run(inputs, options, deadline, listener);
  }

  // ---- the demo pipelines' signatures ----

  public static PipelineDescription chat() {
    return new PipelineDescription("chat",
        List.of(spec("text", DataType.BYTES, 1)),
        List.of(spec("intent", DataType.BYTES, 1), spec("confidence", DataType.FP32, 1), spec("tokens", DataType.BYTES, -1)),
        List.of("featurize", "classify", "decode"));
  }

  /** What the demo's chat streams: its {@code tokens} output collected by the {@code decode} loop. */
  public static IterationOutputs chatIterations() {
    return IterationOutputs.reading(List.of(new PipelineSpec.Output("tokens", TensorRef.parse("decode.next_token"))));
  }

  public static PipelineDescription recommend() {
    return new PipelineDescription("recommend",
        List.of(spec("user_id", DataType.INT64, 1)),
        List.of(spec("items", DataType.INT64, 1, 50), spec("scores", DataType.FP32, 1, 50)),
        List.of("user_tower", "retrieval", "popular", "merge", "ranker"));
  }

  public static TensorSpec spec(String name, DataType type, long... shape) {
    List<Long> dims = new ArrayList<>();
    for (long d : shape) {
      dims.add(d);
    }
    return new TensorSpec(name, type, dims);
  }

  public static CompletableFuture<PipelineResult> done(String pipeline, Tensor... outputs) {
    return CompletableFuture.completedFuture(new PipelineResult(pipeline, List.of(outputs), List.of()));
  }
}
