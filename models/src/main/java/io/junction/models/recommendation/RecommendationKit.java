package io.junction.models.recommendation;

import io.junction.models.tf.GraphModel;
import io.junction.workers.repository.ModelRepository;
import java.util.List;
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

    export(repository, UserTowerModel.build(factors.users()));
    export(repository, RetrievalModel.build(factors.items()));
    export(repository, PopularModel.build(popularity, data.users()));
    export(repository, RankerModel.build(factors.items(), popularity.logPrior(PRIOR_WEIGHT), data));
    progress.accept("  " + String.join(", ", modelNames()) + " exported (D=" + factors.dim() + ")");
    return new Built(data, popularity, factors.dim());
  }

  public static List<String> modelNames() {
    return List.of(UserTowerModel.NAME, RetrievalModel.NAME, PopularModel.NAME, RankerModel.NAME);
  }

  private static void export(ModelRepository repository, GraphModel model) {
    try (model) {
      model.export(repository);
    }
  }
}
