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
      Map<String, String> greedyReplies,
      FollowUps followUps) {
    public Conversation {
      intentLabels = List.copyOf(intentLabels);
      greedyReplies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(greedyReplies));
    }
  }

  /**
   * Follow-up turns ("yes, two please"): how many the intent model trained on and how many were
   * held out, the share of held-out ones that get their previous turn's intent with the session and
   * without it (the text alone), and the held-out intent accuracy when each utterance follows a
   * turn of another intent (a turn with an intent of its own must keep it in a session).
   */
  public record FollowUps(
      int trainTurns,
      int heldOutTurns,
      double accuracyWithSession,
      double accuracyWithoutSession,
      double intentHeldOutAccuracyInSession) {}

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
        "  intent accuracy on %d held-out utterances: %.4f (training: %.4f; each after a turn of another intent: %.4f)",
        "  follow-up intent accuracy on %d held-out turns: %.4f with the session, %.4f without (the text alone)",
        "  recall@10 on held-out interactions of %d users: pipeline %.4f, popularity baseline %.4f (%.2fx)",
        "sizes: C=%d intents, V=%d tokens, U=%d users, I=%d items, D=%d"),
        conversation.heldOutUtterances(), conversation.intentHeldOutAccuracy(), conversation.intentTrainAccuracy(),
        conversation.followUps().intentHeldOutAccuracyInSession(), conversation.followUps().heldOutTurns(),
        conversation.followUps().accuracyWithSession(), conversation.followUps().accuracyWithoutSession(),
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
    y.append("  follow_ups:\n");
    y.append("    train_turns: ").append(c.followUps().trainTurns()).append('\n');
    y.append("    held_out_turns: ").append(c.followUps().heldOutTurns()).append('\n');
    y.append("    accuracy_with_session: ").append(round(c.followUps().accuracyWithSession())).append('\n');
    y.append("    accuracy_without_session: ").append(round(c.followUps().accuracyWithoutSession())).append('\n');
    y.append("    intent_held_out_accuracy_in_session: ")
        .append(round(c.followUps().intentHeldOutAccuracyInSession())).append('\n');
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
