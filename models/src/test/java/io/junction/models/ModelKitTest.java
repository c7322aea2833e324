package io.junction.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.junction.models.conversation.Featurizer;
import io.junction.models.conversation.ResponseSet;
import io.junction.models.conversation.UtteranceSet;
import io.junction.models.quality.GreedyDecoder;
import io.junction.models.quality.IntentEvaluation;
import io.junction.models.quality.RecommendationEvaluation;
import io.junction.models.quality.SavedModelRunner;
import io.junction.models.recommendation.InteractionGenerator;
import io.junction.models.recommendation.Interactions;
import io.junction.models.recommendation.RankerModel;
import io.junction.models.tf.Tensors;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds the whole kit once and checks the repository, the models' behaviour and the quality bar. */
class ModelKitTest {
  @TempDir
  static Path out;

  static KitReport report;
  static ModelRepository repository;
  static List<String> progress = new ArrayList<>();

  @BeforeAll
  static void buildKit() {
    report = ModelKit.build(out, progress::add);
    repository = ModelRepository.open(out);
  }

  @Test
  void buildReportsProgressAndWritesEveryModel() {
    assertThat(progress).anyMatch(l -> l.contains("featurizer exported")).anyMatch(l -> l.contains("ALS iteration"));
    assertThat(report.models())
        .containsExactly("featurizer", "intent", "session_intent", "responder", "user_tower", "retrieval", "popular",
            "ranker");
    for (String model : report.models()) {
      assertThat(repository.modelYaml(model)).isRegularFile();
      assertThat(repository.resolve(model).versionDir().resolve("saved_model.pb")).isRegularFile();
    }
  }

  @Test
  void heldOutIntentAccuracyIsAtLeastNinetyPercent() {
    assertThat(report.intentHeldOutAccuracy()).isGreaterThanOrEqualTo(0.90);
    assertThat(report.conversation().heldOutUtterances()).isGreaterThanOrEqualTo(80);
  }

  @Test
  void heldOutFollowUpsContinueThePreviousIntentInASessionAndNotWithoutOne() {
    UtteranceSet data = UtteranceSet.load(ModelKit.UTTERANCE_SLOT_SEED);
    KitReport.FollowUps f = report.conversation().followUps();

    assertThat(f.accuracyWithSession()).isGreaterThanOrEqualTo(0.90);
    // The text alone rarely names the conversation's intent: the session is what makes the difference.
    assertThat(f.accuracyWithoutSession()).isLessThanOrEqualTo(0.30);
    // A turn with an intent of its own keeps it in a session: at most a few are taken for follow-ups.
    assertThat(f.intentHeldOutAccuracyInSession()).isGreaterThanOrEqualTo(0.90)
        .isGreaterThanOrEqualTo(report.intentHeldOutAccuracy() - 0.05);
    // The figures are those of the held-out turns (never trained on: UtteranceSetTest), not of the training ones.
    assertThat(f.heldOutTurns()).isEqualTo(data.followUpHeldOut().size()).isGreaterThanOrEqualTo(50);
    assertThat(f.trainTurns()).isEqualTo(data.followUpTrain().size());
    try (IntentEvaluation intents = new IntentEvaluation(repository)) {
      assertThat(intents.followUpAccuracy(data.followUpHeldOut(), true)).isEqualTo(f.accuracyWithSession());
      assertThat(intents.followUpAccuracy(data.followUpHeldOut(), false)).isEqualTo(f.accuracyWithoutSession());
    }
    assertThat(progress).anyMatch(l -> l.contains("session_intent exported"));
  }

  @Test
  void sessionIntentContinuesOnlyAFollowUpAndOnlyAfterAKnownIntent() {
    List<String> texts = List.of("yes, do that", "yes, do that", "yes, do that", "I want to book a flight to Paris");
    try (IntentEvaluation intents = new IntentEvaluation(repository)) {
      List<IntentEvaluation.Prediction> alone = intents.classify(texts);
      List<IntentEvaluation.Prediction> inSession =
          intents.classifyInSession(texts, List.of("rent_car", "", "no_such_intent", "weather"));

      assertThat(inSession.get(0).intent()).isEqualTo("rent_car");
      assertThat(inSession.get(0).intentId()).isEqualTo(report.conversation().intentLabels().indexOf("rent_car"));
      assertThat(inSession.get(0).confidence()).isGreaterThan(0.5f);
      assertThat(alone.get(0).intent()).isNotEqualTo("rent_car");
      // No previous intent, or one the model does not know: the text's own intent, as without a session.
      assertThat(inSession.subList(1, 3)).containsExactly(alone.get(1), alone.get(2));
      // A turn that carries an intent keeps it.
      assertThat(inSession.get(3)).isEqualTo(alone.get(3));
      assertThat(inSession.get(3).intent()).isEqualTo("book_flight");
    }
  }

  @Test
  void bookingAFlightToParisIsBookFlightWithHighConfidence() {
    try (IntentEvaluation intents = new IntentEvaluation(repository)) {
      IntentEvaluation.Prediction p = intents.classify(List.of("I want to book a flight to Paris")).get(0);

      assertThat(p.intent()).isEqualTo("book_flight");
      assertThat(p.intentId()).isEqualTo(report.conversation().intentLabels().indexOf("book_flight"));
      assertThat(p.confidence()).isGreaterThan(0.8f);
    }
  }

  @Test
  void emptyAndPunctuationOnlyTextFeaturizeToZeroAndTextIsNormalised() {
    try (SavedModelRunner featurizer = SavedModelRunner.open(repository, Featurizer.NAME)) {
      List<String> texts = List.of("", "?!", "Hello, World!", "hello world");
      Tensor text = Tensor.ofStrings("text", new long[] {texts.size()}, texts);

      Tensor features = featurizer.run(text).get("features");

      assertThat(features.shape()).containsExactly(4, Featurizer.BUCKETS);
      float[][] rows = Tensors.rows(features.floats(), Featurizer.BUCKETS);
      assertThat(rows[0]).containsOnly(0f);
      assertThat(rows[1]).containsOnly(0f);
      assertThat(norm(rows[2])).isCloseTo(1.0, within(1e-5));
      assertThat(rows[2]).containsExactly(rows[3]);
    }
  }

  @Test
  void greedyDecodingGivesALocallyCoherentReplyThenEosForEveryIntent() {
    List<String> labels = report.conversation().intentLabels();
    ResponseSet responses = ResponseSet.load(labels);
    try (GreedyDecoder decoder = new GreedyDecoder(repository)) {
      for (int id = 0; id < labels.size(); id++) {
        GreedyDecoder.Reply reply = decoder.decode(id, ModelKit.MAX_DECODE_STEPS);

        assertThat(reply.endedWithEos()).as("%s: %s", labels.get(id), reply.text()).isTrue();
        assertThat(reply.tokens()).as(labels.get(id)).hasSizeGreaterThanOrEqualTo(3);
        // Every adjacent pair was written in some reply for this very intent.
        Set<String> pairs = pairsOf(responses, labels.get(id));
        for (int t = 1; t < reply.tokens().size(); t++) {
          assertThat(pairs).as("%s: %s", labels.get(id), reply.text())
              .contains(reply.tokens().get(t - 1) + " " + reply.tokens().get(t));
        }
        assertThat(report.conversation().greedyReplies()).containsEntry(labels.get(id), reply.text());
      }
    }
  }

  @Test
  void pipelineRecallIsAtLeastTwiceThePopularityBaseline() {
    KitReport.Recommendation r = report.recommendation();

    assertThat(r.popularityRecallAt10()).isGreaterThan(0);
    assertThat(r.pipelineRecallAt10()).isGreaterThanOrEqualTo(2 * r.popularityRecallAt10());
    assertThat(r.evaluatedUsers()).isGreaterThan(r.users() / 2);
  }

  @Test
  void rankerKeepsFirstOccurrencesDropsTrainItemsAndSortsDescending() {
    Interactions data = InteractionGenerator.generate(InteractionGenerator.Settings.DEFAULT);
    long[] users = {0, 1, 2};
    int width = 12;
    long[] candidates = new long[users.length * width];
    List<Set<Long>> expected = new ArrayList<>();
    for (int b = 0; b < users.length; b++) {
      int user = (int) users[b];
      int[] seen = data.train()[user];
      long[] u = java.util.stream.IntStream.range(500, 1000).filter(i -> !data.seenInTrain(user, i))
          .limit(6).asLongStream().toArray();
      long[] row = {seen[0], u[0], u[1], u[0], u[2], seen[1], u[1], u[3], u[3], u[4], seen[0], u[5]};
      System.arraycopy(row, 0, candidates, b * width, width);
      expected.add(Arrays.stream(u).boxed().collect(java.util.stream.Collectors.toSet()));
    }
    try (SavedModelRunner userTower = SavedModelRunner.open(repository, "user_tower");
        SavedModelRunner ranker = SavedModelRunner.open(repository, RankerModel.NAME)) {
      Tensor userIds = Tensor.ofLongs("user_id", new long[] {3}, users);
      Tensor embedding = userTower.run(userIds).get("embedding");
      Map<String, Tensor> out = ranker.run(userIds, embedding,
          Tensor.ofLongs("candidates", new long[] {3, width}, candidates));

      assertThat(out.get("items").shape()).containsExactly(3, RankerModel.TOP_N);
      long[] items = out.get("items").longs();
      float[] scores = out.get("scores").floats();
      for (int b = 0; b < users.length; b++) {
        long[] rowItems = Arrays.copyOfRange(items, b * RankerModel.TOP_N, (b + 1) * RankerModel.TOP_N);
        float[] rowScores = Arrays.copyOfRange(scores, b * RankerModel.TOP_N, (b + 1) * RankerModel.TOP_N);
        Set<Long> kept = new HashSet<>();
        for (int k = 0; k < RankerModel.TOP_N; k++) {
          if (rowItems[k] >= 0) {
            kept.add(rowItems[k]);
          }
        }
        // The six distinct unseen candidates survive, each once; the rest is padding.
        assertThat(kept).isEqualTo(expected.get(b));
        assertThat(Arrays.copyOfRange(rowItems, 0, 6)).doesNotHaveDuplicates().doesNotContain(-1L);
        assertThat(Arrays.copyOfRange(rowItems, 6, RankerModel.TOP_N)).containsOnly(-1L);
        assertThat(Arrays.copyOfRange(rowScores, 6, RankerModel.TOP_N)).containsOnly(Float.NEGATIVE_INFINITY);
        assertThat(descending(rowScores)).isTrue();
      }
    }
  }

  @Test
  void pipelineRecommendationsAreDistinctUnseenAndFull() {
    Interactions data = InteractionGenerator.generate(InteractionGenerator.Settings.DEFAULT);
    long[] users = {3, 42, 1999};
    try (RecommendationEvaluation pipeline = new RecommendationEvaluation(repository)) {
      long[][] rows = pipeline.recommend(users);
      for (int b = 0; b < users.length; b++) {
        assertThat(rows[b]).hasSize(RankerModel.TOP_N).doesNotHaveDuplicates().doesNotContain(-1L);
        for (long item : rows[b]) {
          assertThat(data.seenInTrain((int) users[b], (int) item)).isFalse();
        }
      }
    }
  }

  @Test
  void kitYamlRecordsSeedsSizesLabelsAndFigures() throws IOException {
    Map<String, Object> kit = new org.yaml.snakeyaml.Yaml().load(Files.readString(out.resolve(ModelKit.KIT_YAML)));

    assertThat(kit.get("seeds")).isEqualTo(Map.of("utterance_slots", 17, "interactions", 20240611, "als", 7));
    Map<?, ?> conversation = (Map<?, ?>) kit.get("conversation");
    assertThat(conversation.get("intent_labels")).isEqualTo(report.conversation().intentLabels());
    assertThat(conversation.get("vocabulary_size")).isEqualTo(report.conversation().vocabularySize());
    assertThat((Double) conversation.get("intent_held_out_accuracy"))
        .isCloseTo(report.intentHeldOutAccuracy(), within(1e-4));
    Map<?, ?> followUps = (Map<?, ?>) conversation.get("follow_ups");
    assertThat(followUps.get("held_out_turns")).isEqualTo(report.conversation().followUps().heldOutTurns());
    assertThat((Double) followUps.get("accuracy_with_session"))
        .isCloseTo(report.conversation().followUps().accuracyWithSession(), within(1e-4));
    assertThat((Double) followUps.get("accuracy_without_session"))
        .isCloseTo(report.conversation().followUps().accuracyWithoutSession(), within(1e-4));
    Map<?, ?> recommendation = (Map<?, ?>) kit.get("recommendation");
    assertThat(recommendation.get("users")).isEqualTo(2000);
    assertThat(recommendation.get("items")).isEqualTo(1000);
    assertThat(recommendation.get("embedding_dim")).isEqualTo(32);
    Map<?, ?> recall = (Map<?, ?>) recommendation.get("recall_at_10");
    assertThat((Double) recall.get("pipeline")).isCloseTo(report.pipelineRecallAt10(), within(1e-4));
    assertThat((Double) recall.get("popularity")).isCloseTo(report.popularityRecallAt10(), within(1e-4));
  }

  @Test
  void buildingTwiceGivesTheSameRepositoryAndPredictions(@TempDir Path second) throws IOException {
    KitReport again = ModelKit.build(second, line -> { });
    ModelRepository other = ModelRepository.open(second);

    assertThat(again).isEqualTo(report);
    assertThat(variableBytes(repository, "ranker")).isNotEmpty(); // so the comparison below has teeth
    assertThat(Files.readString(second.resolve(ModelKit.KIT_YAML)))
        .isEqualTo(Files.readString(out.resolve(ModelKit.KIT_YAML)));
    for (String model : report.models()) {
      assertThat(Files.readString(other.modelYaml(model))).as(model)
          .isEqualTo(Files.readString(repository.modelYaml(model)));
      // TensorFlow writes the attribute maps of graph nodes in no fixed order, so saved_model.pb is
      // compared as the message it encodes; the variables (all trained weights) byte for byte.
      assertThat(savedModel(other, model)).as(model).isEqualTo(savedModel(repository, model));
      assertThat(variableBytes(other, model)).as(model).isEqualTo(variableBytes(repository, model));
    }
    List<String> texts = List.of("I want to book a flight to Paris", "is it going to rain tomorrow?", "");
    try (IntentEvaluation a = new IntentEvaluation(repository); IntentEvaluation b = new IntentEvaluation(other)) {
      assertThat(b.classify(texts)).isEqualTo(a.classify(texts));
    }
    long[] users = {0, 7, 1234};
    try (RecommendationEvaluation a = new RecommendationEvaluation(repository);
        RecommendationEvaluation b = new RecommendationEvaluation(other)) {
      assertThat(b.recommend(users)).isDeepEqualTo(a.recommend(users));
    }
  }

  private static org.tensorflow.proto.framework.SavedModel savedModel(ModelRepository repo, String model)
      throws IOException {
    return org.tensorflow.proto.framework.SavedModel.parseFrom(
        Files.readAllBytes(repo.resolve(model).versionDir().resolve("saved_model.pb")));
  }

  /** File name to SHA-256 of its bytes, for every file under the model's variables folder. */
  private static Map<String, String> variableBytes(ModelRepository repo, String model) throws IOException {
    Path variables = repo.resolve(model).versionDir().resolve("variables");
    Map<String, String> files = new java.util.TreeMap<>();
    try (var list = Files.list(variables)) {
      for (Path p : list.toList()) {
        byte[] digest;
        try {
          digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
        files.put(p.getFileName().toString(), java.util.HexFormat.of().formatHex(digest));
      }
    }
    return files;
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  private static boolean descending(float[] scores) {
    for (int k = 1; k < scores.length; k++) {
      if (scores[k] > scores[k - 1]) {
        return false;
      }
    }
    return true;
  }

  private static Set<String> pairsOf(ResponseSet responses, String intent) {
    Set<String> pairs = new LinkedHashSet<>();
    for (ResponseSet.Reply r : responses.replies()) {
      if (r.intent().equals(intent)) {
        for (int t = 1; t < r.tokens().size(); t++) {
          pairs.add(r.tokens().get(t - 1) + " " + r.tokens().get(t));
        }
      }
    }
    return pairs;
  }
}
