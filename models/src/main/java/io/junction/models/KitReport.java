package io.junction.models;

import io.junction.workers.repository.RepositoryYaml;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a kit build produced and how good it is. Every figure is measured on the exported models,
 * and none depends on time or place, so two builds with the same seeds give equal reports; the
 * build time is only printed.
 */
public record KitReport(Seeds seeds, Conversation conversation, Recommendation recommendation, List<String> models) {

  /** The seeds of every random choice the kit makes. */
  public record Seeds(long utteranceSlots, long interactions, long als) {}

  /** The conversation models: data sizes, vocabulary, accuracy and one greedy reply per intent. */
  public record Conversation(
      List<String> intentLabels,
      int trainUtterances,
      int heldOutUtterances,
      int featureBuckets,
      int vocabularySize,
      double intentTrainAccuracy,
      double intentHeldOutAccuracy,
      Map<String, String> greedyReplies) {
    public Conversation {
      intentLabels = List.copyOf(intentLabels);
      greedyReplies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(greedyReplies));
    }
  }

  /** The recommendation models: sizes and recall@10 on held-out interactions. */
  public record Recommendation(
      int users,
      int items,
      int embeddingDim,
      int trainInteractions,
      int heldOutInteractions,
      int evaluatedUsers,
      double pipelineRecallAt10,
      double popularityRecallAt10) {}

  public KitReport {
    models = List.copyOf(models);
  }

  public double intentHeldOutAccuracy() {
    return conversation.intentHeldOutAccuracy();
  }

  public double pipelineRecallAt10() {
    return recommendation.pipelineRecallAt10();
  }

  public double popularityRecallAt10() {
    return recommendation.popularityRecallAt10();
  }

  /** The human summary that {@code ModelKit.main} prints. */
  public String summary() {
    Recommendation r = recommendation;
    return String.format(Locale.ROOT, String.join("\n",
        "quality:",
        "  intent accuracy on %d held-out utterances: %.4f (training: %.4f)",
        "  recall@10 on held-out interactions of %d users: pipeline %.4f, popularity baseline %.4f (%.2fx)",
        "sizes: C=%d intents, V=%d tokens, U=%d users, I=%d items, D=%d"),
        conversation.heldOutUtterances(), conversation.intentHeldOutAccuracy(), conversation.intentTrainAccuracy(),
        r.evaluatedUsers(), r.pipelineRecallAt10(), r.popularityRecallAt10(),
        r.pipelineRecallAt10() / r.popularityRecallAt10(),
        conversation.intentLabels().size(), conversation.vocabularySize(), r.users(), r.items(), r.embeddingDim());
  }

  /** kit.yaml: figures rounded to 4 decimals, keys in a fixed order. */
  public String toYaml() {
    Conversation c = conversation;
    Recommendation r = recommendation;
    StringBuilder y = new StringBuilder();
    y.append("# Written by the Junction model kit (io.junction.models.ModelKit): same seeds, same contents.\n");
    y.append("models: ").append(RepositoryYaml.flowList(models)).append('\n');
    y.append("seeds:\n");
    y.append("  utterance_slots: ").append(seeds.utteranceSlots()).append('\n');
    y.append("  interactions: ").append(seeds.interactions()).append('\n');
    y.append("  als: ").append(seeds.als()).append('\n');
    y.append("conversation:\n");
    y.append("  intent_labels: ").append(RepositoryYaml.flowList(c.intentLabels())).append('\n');
    y.append("  train_utterances: ").append(c.trainUtterances()).append('\n');
    y.append("  held_out_utterances: ").append(c.heldOutUtterances()).append('\n');
    y.append("  feature_buckets: ").append(c.featureBuckets()).append('\n');
    y.append("  vocabulary_size: ").append(c.vocabularySize()).append('\n');
    y.append("  intent_train_accuracy: ").append(round(c.intentTrainAccuracy())).append('\n');
    y.append("  intent_held_out_accuracy: ").append(round(c.intentHeldOutAccuracy())).append('\n');
    y.append("  greedy_replies:\n");
    c.greedyReplies().forEach((intent, reply) ->
        y.append("    ").append(RepositoryYaml.scalar(intent)).append(": ").append(RepositoryYaml.scalar(reply))
            .append('\n'));
    y.append("recommendation:\n");
    y.append("  users: ").append(r.users()).append('\n');
    y.append("  items: ").append(r.items()).append('\n');
    y.append("  embedding_dim: ").append(r.embeddingDim()).append('\n');
    y.append("  train_interactions: ").append(r.trainInteractions()).append('\n');
    y.append("  held_out_interactions: ").append(r.heldOutInteractions()).append('\n');
    y.append("  evaluated_users: ").append(r.evaluatedUsers()).append('\n');
    y.append("  recall_at_10:\n");
    y.append("    pipeline: ").append(round(r.pipelineRecallAt10())).append('\n');
    y.append("    popularity: ").append(round(r.popularityRecallAt10())).append('\n');
    return y.toString();
  }

  private static String round(double value) {
    return String.format(Locale.ROOT, "%.4f", value);
  }
}
