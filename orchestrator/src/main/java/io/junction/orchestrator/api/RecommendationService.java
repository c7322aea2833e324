package io.junction.orchestrator.api;

import io.grpc.stub.StreamObserver;
import io.junction.engine.PipelineResult;
import io.junction.engine.RunOptions;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ScoredItem;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code junction.v1.RecommendationService}: a thin adapter over the {@code recommend} pipeline.
 * The user id's upper bound belongs to the model (its model.yaml constraints), so the worker
 * checks it and its INVALID_ARGUMENT reaches the client through the StatusMapper; here only what
 * the API itself defines is checked: a non-negative user and k within the limits.
 */
public final class RecommendationService extends RecommendationServiceGrpc.RecommendationServiceImplBase {
  public static final String PIPELINE = "recommend";
  public static final int DEFAULT_K = 10;

  private final Pipelines pipelines;
  private final ApiLimits limits;
  private final LongSupplier nanoClock;

  public RecommendationService(Pipelines pipelines, ApiLimits limits, LongSupplier nanoClock) {
    this.pipelines = Objects.requireNonNull(pipelines);
    this.limits = Objects.requireNonNull(limits);
    this.nanoClock = Objects.requireNonNull(nanoClock);
  }

  @Override
  public void recommend(RecommendRequest request, StreamObserver<RecommendResponse> observer) {
    long start = nanoClock.getAsLong();
    int k = request.getK() == 0 ? Math.min(DEFAULT_K, limits.maxK()) : request.getK();
    Calls.respond(observer, () -> {
      long userId = request.getUserId();
      if (userId < 0) {
        throw new InvalidRequestException("user_id: " + userId + " (expected: >= 0)");
      }
      if (k < 1 || k > limits.maxK()) {
        throw new InvalidRequestException("k: " + request.getK() + " (expected: 1.." + limits.maxK()
            + ")");
      }
      Tensor input = Tensor.ofLongs("user_id", new long[] {1}, userId);
      return pipelines.run(PIPELINE, List.of(input), RunOptions.DEFAULT, Calls.deadline(limits.defaultDeadline()));
    }, result -> RecommendResponse.newBuilder()
        .addAllItems(topK(result, k))
        .setLatencyMicros(TimeUnit.NANOSECONDS.toMicros(nanoClock.getAsLong() - start))
        .build());
  }

  /**
   * The first k distinct items, highest score first. The ranker promises exactly that; this
   * does not trust it, because a duplicate or out-of-order list would reach users unnoticed.
   * Negative ids are padding, never items.
   */
  static List<ScoredItem> topK(PipelineResult result, int k) {
    long[] items = result.output("items").longs();
    float[] scores = result.output("scores").floats();
    if (items.length != scores.length) {
      throw new IllegalStateException("pipeline " + PIPELINE + ": " + items.length + " items and "
          + scores.length + " scores (expected: as many of each)");
    }
    List<ScoredItem> all = new ArrayList<>(items.length);
    for (int i = 0; i < items.length; i++) {
      if (items[i] >= 0) {
        all.add(ScoredItem.newBuilder().setItemId(items[i]).setScore(scores[i]).build());
      }
    }
    // stable: equal scores keep the ranker's order; NaN scores sort last
    all.sort(Comparator.comparingDouble((ScoredItem s) -> Float.isNaN(s.getScore()) ? Double.NEGATIVE_INFINITY : s.getScore())
        .reversed());
    Set<Long> seen = new HashSet<>();
    List<ScoredItem> out = new ArrayList<>(k);
    for (ScoredItem s : all) {
      if (out.size() == k) {
        break;
      }
      if (seen.add(s.getItemId())) {
        out.add(s);
      }
    }
    return out;
  }
}
