package io.junction.models.recommendation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.Warmups;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.WarmupSample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.function.Consumer;

/**
 * Builds the four recommendation models: generates the interaction log, factorises its training
 * part by implicit ALS and exports {@code user_tower}, {@code retrieval}, {@code popular} and
 * {@code ranker}.
 */
public final class RecommendationKit {
  /**
   * The largest popularity prior the ranker adds, against taste scores of order 1: enough to break
   * near-ties towards popular items, too small to override taste.
   */
  public static final double PRIOR_WEIGHT = 0.05;

  /** What the build used and learnt, for the quality checks and kit.yaml. */
  public record Built(Interactions interactions, Popularity popularity, int embeddingDim) {}

  private RecommendationKit() {}

  public static Built build(ModelRepository repository, InteractionGenerator.Settings generator,
      ImplicitAls.Settings als, Consumer<String> progress) {
    Interactions data = InteractionGenerator.generate(generator);
    progress.accept(String.format(
        "recommendation: %d users, %d items, %d training and %d held-out interactions",
        data.users(), data.items(), data.trainSize(), data.heldOutSize()));
    ImplicitAls.Factors factors = ImplicitAls.train(data, als, progress);
    Popularity popularity = new Popularity(data.trainCounts());

    // Warm-up rows: users spread over the id range, with what the recommend pipeline would pass
    // each model for them (their factor; retrieval's 200 items and popular's 50 as candidates).
    long[][] users = IntStream.range(0, Warmups.BATCH)
        .mapToObj(i -> new long[] {(long) i * (data.users() - 1) / (Warmups.BATCH - 1)}).toArray(long[][]::new);
    float[][] embeddings = Arrays.stream(users).map(u -> factors.users()[(int) u[0]]).toArray(float[][]::new);
    long[][] candidates = Arrays.stream(embeddings)
        .map(e -> candidates(e, factors.items(), popularity.top(PopularModel.TOP_N))).toArray(long[][]::new);
    WarmupRows rows = new WarmupRows(users, embeddings, candidates, factors.dim());

    export(repository, UserTowerModel.build(factors.users()), Warmups.of(n -> List.of(rows.userIds(n))));
    export(repository, RetrievalModel.build(factors.items()), Warmups.of(n -> List.of(rows.embeddings(n))));
    export(repository, PopularModel.build(popularity, data.users()), Warmups.of(n -> List.of(rows.userIds(n))));
    export(repository, RankerModel.build(factors.items(), popularity.logPrior(PRIOR_WEIGHT), data),
        Warmups.of(n -> List.of(rows.userIds(n), rows.embeddings(n), rows.candidates(n))));
    progress.accept("  " + String.join(", ", modelNames()) + " exported (D=" + factors.dim() + ")");
    return new Built(data, popularity, factors.dim());
  }

  public static List<String> modelNames() {
    return List.of(UserTowerModel.NAME, RetrievalModel.NAME, PopularModel.NAME, RankerModel.NAME);
  }

  private static void export(ModelRepository repository, GraphModel model, List<WarmupSample> warmup) {
    try (model) {
      model.warmup(warmup);
      model.export(repository);
    }
  }

  /** The first n warm-up rows of each recommendation input, as tensors. */
  private record WarmupRows(long[][] users, float[][] embeddings, long[][] candidates, int dim) {
    Tensor userIds(int n) {
      return Tensor.ofLongs("user_id", new long[] {n}, Warmups.flatten(users, n));
    }

    Tensor embeddings(int n) {
      return Tensor.ofFloats("embedding", new long[] {n, dim}, Warmups.flatten(embeddings, n));
    }

    Tensor candidates(int n) {
      return Tensor.ofLongs("candidates", new long[] {n, candidates[0].length}, Warmups.flatten(candidates, n));
    }
  }

  /** Retrieval's top items for {@code embedding} (exact inner product, as its graph), then the popular ones. */
  private static long[] candidates(float[] embedding, float[][] items, int[] popular) {
    List<Integer> order = new ArrayList<>(IntStream.range(0, items.length).boxed().toList());
    order.sort(Comparator.comparingDouble((Integer i) -> -dot(embedding, items[i])).thenComparing(i -> i));
    return IntStream.concat(order.subList(0, RetrievalModel.TOP_N).stream().mapToInt(Integer::intValue),
        Arrays.stream(popular)).asLongStream().toArray();
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
