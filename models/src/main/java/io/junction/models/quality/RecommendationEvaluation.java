package io.junction.models.quality;

import io.junction.models.recommendation.Interactions;
import io.junction.models.recommendation.PopularModel;
import io.junction.models.recommendation.Popularity;
import io.junction.models.recommendation.RankerModel;
import io.junction.models.recommendation.RetrievalModel;
import io.junction.models.recommendation.UserTowerModel;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.ModelLoader;

/**
 * Measures recall@k on held-out interactions for the recommendation pipeline, run through the
 * exported models exactly as the orchestrator's pipeline runs them (user_tower, then retrieval and
 * popular, candidates merged by concatenation, ranker), against a popularity-only baseline (the
 * most popular training items the user has not interacted with).
 */
public final class RecommendationEvaluation implements AutoCloseable {
  private static final int BATCH = 64;

  private final SavedModelRunner userTower;
  private final SavedModelRunner retrieval;
  private final SavedModelRunner popular;
  private final SavedModelRunner ranker;

  /** Both recalls over the same users. */
  public record Result(double pipelineRecall, double popularityRecall, int users) {}

  public RecommendationEvaluation(ModelRepository repository) {
    ModelLoader loader = SavedModelRunner.cpuLoader();
    this.userTower = SavedModelRunner.open(loader, repository, UserTowerModel.NAME);
    this.retrieval = SavedModelRunner.open(loader, repository, RetrievalModel.NAME);
    this.popular = SavedModelRunner.open(loader, repository, PopularModel.NAME);
    this.ranker = SavedModelRunner.open(loader, repository, RankerModel.NAME);
  }

  /** Evaluates every user with at least one held-out interaction. */
  public Result evaluate(Interactions data, Popularity popularity, int k) {
    long[] users = java.util.stream.IntStream.range(0, data.users())
        .filter(u -> data.heldOut()[u].length > 0).asLongStream().toArray();
    RecallAtK pipeline = new RecallAtK();
    RecallAtK baseline = new RecallAtK();
    int[] ranking = popularity.ranking();
    for (int from = 0; from < users.length; from += BATCH) {
      long[] batch = java.util.Arrays.copyOfRange(users, from, Math.min(users.length, from + BATCH));
      long[][] ranked = recommend(batch);
      for (int b = 0; b < batch.length; b++) {
        int user = (int) batch[b];
        pipeline.add(ranked[b], data.heldOut()[user], k);
        baseline.add(unseenPopular(data, user, ranking, k), data.heldOut()[user], k);
      }
    }
    return new Result(pipeline.value(), baseline.value(), pipeline.users());
  }

  /** The ranker's output rows (50 items each) for {@code userIds}. */
  public long[][] recommend(long[] userIds) {
    int n = userIds.length;
    Tensor ids = Tensor.ofLongs("user_id", new long[] {n}, userIds);
    Tensor embedding = userTower.run(ids).get("embedding");
    long[] retrieved = retrieval.run(embedding).get("items").longs();
    long[] popularItems = popular.run(ids).get("items").longs();
    int width = RetrievalModel.TOP_N + PopularModel.TOP_N;
    long[] candidates = new long[n * width];
    for (int b = 0; b < n; b++) {
      System.arraycopy(retrieved, b * RetrievalModel.TOP_N, candidates, b * width, RetrievalModel.TOP_N);
      System.arraycopy(popularItems, b * PopularModel.TOP_N, candidates, b * width + RetrievalModel.TOP_N,
          PopularModel.TOP_N);
    }
    return rank(ids, embedding, candidates, width);
  }

  /** Runs the ranker alone on explicit candidates ({@code width} per user, row-major). */
  public long[][] rank(Tensor userIds, Tensor embedding, long[] candidates, int width) {
    int n = (int) userIds.elementCount();
    long[] items = ranker.run(userIds, embedding, Tensor.ofLongs("candidates", new long[] {n, width}, candidates))
        .get("items").longs();
    long[][] rows = new long[n][RankerModel.TOP_N];
    for (int b = 0; b < n; b++) {
      System.arraycopy(items, b * RankerModel.TOP_N, rows[b], 0, RankerModel.TOP_N);
    }
    return rows;
  }

  private static long[] unseenPopular(Interactions data, int user, int[] ranking, int k) {
    long[] out = new long[k];
    int n = 0;
    for (int r = 0; r < ranking.length && n < k; r++) {
      if (!data.seenInTrain(user, ranking[r])) {
        out[n++] = ranking[r];
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  @Override
  public void close() {
    userTower.close();
    retrieval.close();
    popular.close();
    ranker.close();
  }
}
