package io.junction.models.conversation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.Warmups;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Builds the four conversation models from the shipped data: {@code featurizer}, {@code intent}
 * (trained on what the featurizer graph computes, follow-up turns included), {@code session_intent}
 * and {@code responder}.
 */
public final class ConversationKit {
  /** What the build used and learnt, for the quality checks and kit.yaml. */
  public record Built(UtteranceSet utterances, Vocabulary vocabulary, double trainAccuracy) {}

  private ConversationKit() {}

  public static Built build(ModelRepository repository, long slotSeed, Consumer<String> progress) {
    UtteranceSet data = UtteranceSet.load(slotSeed);
    progress.accept(String.format("conversation: %d intents, %d training and %d held-out utterances;"
            + " %d training and %d held-out follow-up turns",
        data.labels().size(), data.train().size(), data.heldOut().size(), data.followUpTrain().size(),
        data.followUpHeldOut().size()));

    List<String> trainTexts = new ArrayList<>(data.train().stream().map(Utterance::text).toList());
    trainTexts.addAll(data.followUpTrain().stream().map(FollowUp::text).toList());
    List<Utterance> warmup = warmupUtterances(data);
    List<String> warmupTexts = warmup.stream().map(Utterance::text).toList();
    float[][] features;
    float[][] warmupFeatures;
    try (GraphModel featurizer = Featurizer.build()) {
      features = Featurizer.featurize(featurizer, trainTexts);
      warmupFeatures = Featurizer.featurize(featurizer, warmupTexts);
      featurizer.warmup(Warmups.of(n -> List.of(Tensor.ofStrings("text", new long[] {n}, warmupTexts.subList(0, n)))));
      featurizer.export(repository);
    }
    progress.accept("  featurizer exported (" + Featurizer.BUCKETS + " hashed unigram and bigram buckets)");

    double trainAccuracy = buildIntent(repository, data, features, warmupFeatures, warmup, progress);

    ResponseSet responses = ResponseSet.load(data.labels());
    Vocabulary vocabulary = Vocabulary.of(responses);
    TrigramLanguageModel lm = TrigramLanguageModel.count(responses, data.labels(), vocabulary);
    long[][] intentIds = warmup.stream().map(u -> new long[] {data.classOf(u.intent())}).toArray(long[][]::new);
    // The first decode step's context, as the chat pipeline sends it: two BOS tokens.
    long[][] contexts = warmup.stream().map(u -> new long[] {Vocabulary.BOS, Vocabulary.BOS})
        .toArray(long[][]::new);
    // Greedy rows and sampled rows alike, as the chat pipeline sends them (its defaults are greedy).
    float[] temperatures = new float[Warmups.BATCH];
    int[] topKs = new int[Warmups.BATCH];
    long[] seeds = new long[Warmups.BATCH];
    for (int i = 1; i < Warmups.BATCH; i += 2) {
      temperatures[i] = 0.8f;
      topKs[i] = 5;
      seeds[i] = i;
    }
    try (GraphModel responder = ResponderModel.build(lm, vocabulary, data.labels().size())) {
      responder.warmup(Warmups.of(n -> List.of(
          Tensor.ofLongs("intent_id", new long[] {n}, Warmups.flatten(intentIds, n)),
          Tensor.ofLongs("context", new long[] {n, 2}, Warmups.flatten(contexts, n)),
          Tensor.ofFloats("temperature", new long[] {n}, Arrays.copyOf(temperatures, n)),
          Tensor.ofInts("top_k", new long[] {n}, Arrays.copyOf(topKs, n)),
          Tensor.ofLongs("seed", new long[] {n}, Arrays.copyOf(seeds, n)),
          Tensor.ofLongs("iteration", new long[] {n}, new long[n]))));
      responder.export(repository);
    }
    progress.accept(String.format("  responder counted from %d replies (vocabulary %d) and exported",
        responses.replies().size(), vocabulary.size()));
    return new Built(data, vocabulary, trainAccuracy);
  }

  /**
   * Trains and exports {@code intent}, then exports {@code session_intent} with the intent
   * model's answers for the warm-up texts as its warm-up; returns the intents' training accuracy.
   * {@code features} holds the intent utterances' rows, then the training follow-ups'.
   */
  private static double buildIntent(ModelRepository repository, UtteranceSet data, float[][] features,
      float[][] warmupFeatures, List<Utterance> warmup, Consumer<String> progress) {
    // The intents' classifier learns the intent utterances; the follow-up classifier tells
    // every follow-up (1) from every intent utterance (0), the two classes weighing the same
    // (there are about four intent utterances to a follow-up).
    int intentRows = data.train().size();
    float[][] intentFeatures = Arrays.copyOf(features, intentRows);
    int[] intentClasses = data.train().stream().mapToInt(u -> data.classOf(u.intent())).toArray();
    int[] followUpClasses = IntStream.range(0, features.length).map(i -> i < intentRows ? 0 : 1).toArray();
    SoftmaxRegression.Weights intentWeights = SoftmaxRegression.train(intentFeatures, intentClasses,
        data.labels().size(), SoftmaxRegression.Settings.DEFAULT);
    SoftmaxRegression.Weights followUpWeights =
        SoftmaxRegression.trainBalanced(features, followUpClasses, 2, SoftmaxRegression.Settings.DEFAULT);
    double trainAccuracy = accuracy(intentWeights, intentFeatures, intentClasses);
    IntentModel.Answers answers;
    try (GraphModel intent = IntentModel.build(intentWeights, followUpWeights, data.labels())) {
      intent.warmup(Warmups.of(n -> List.of(
          Tensor.ofFloats("features", new long[] {n, Featurizer.BUCKETS}, Warmups.flatten(warmupFeatures, n)))));
      intent.export(repository);
      answers = IntentModel.answer(intent, warmupFeatures);
    }
    progress.accept(String.format("  intent trained (training accuracy %.3f; follow-up or not: %.3f) and exported",
        trainAccuracy, accuracy(followUpWeights, features, followUpClasses)));

    // The warm-up texts as one conversation: the first turn has no previous intent, each later
    // one the intent of the text before it.
    List<String> previousIntents = IntStream.range(0, warmup.size())
        .mapToObj(i -> i == 0 ? "" : warmup.get(i - 1).intent()).toList();
    try (GraphModel sessionIntent = SessionIntentModel.build(data.labels())) {
      sessionIntent.warmup(Warmups.of(n -> List.of(
          Tensor.ofLongs("intent_id", new long[] {n}, Arrays.copyOf(answers.intentIds(), n)),
          Tensor.ofFloats("confidence", new long[] {n}, Arrays.copyOf(answers.confidence(), n)),
          Tensor.ofFloats("followup", new long[] {n}, Arrays.copyOf(answers.followUp(), n)),
          Tensor.ofStrings("previous_intent", new long[] {n}, previousIntents.subList(0, n)))));
      sessionIntent.export(repository);
    }
    progress.accept("  session_intent exported (a follow-up continues the previous turn's intent)");
    return trainAccuracy;
  }

  /** Held-out utterances of different intents, one per intent in label order: the warm-up texts. */
  static List<Utterance> warmupUtterances(UtteranceSet data) {
    List<Utterance> out = new ArrayList<>();
    for (String label : data.labels()) {
      data.heldOut().stream().filter(u -> u.intent().equals(label)).findFirst().ifPresent(out::add);
      if (out.size() == Warmups.BATCH) {
        break;
      }
    }
    if (out.size() < Warmups.BATCH) {
      throw new IllegalStateException("held-out utterances: " + out.size() + " intents (expected: at least "
          + Warmups.BATCH + " for the warm-up samples)");
    }
    return out;
  }

  public static List<String> modelNames() {
    return List.of(Featurizer.NAME, IntentModel.NAME, SessionIntentModel.NAME, ResponderModel.NAME);
  }

  private static double accuracy(SoftmaxRegression.Weights weights, float[][] x, int[] y) {
    int correct = 0;
    for (int i = 0; i < x.length; i++) {
      correct += weights.predict(x[i]) == y[i] ? 1 : 0;
    }
    return (double) correct / x.length;
  }
}
