package io.junction.models;

import io.junction.models.conversation.ConversationKit;
import io.junction.models.conversation.Featurizer;
import io.junction.models.conversation.UtteranceSet;
import io.junction.models.quality.GreedyDecoder;
import io.junction.models.quality.IntentEvaluation;
import io.junction.models.quality.RecommendationEvaluation;
import io.junction.models.recommendation.ImplicitAls;
import io.junction.models.recommendation.InteractionGenerator;
import io.junction.models.recommendation.RecommendationKit;
import io.junction.models.tf.TensorFlowRuntime;
import io.junction.workers.repository.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The model kit: builds the demo model repository (eight SavedModels, their model.yaml files and
 * kit.yaml) and measures its quality on the exported models.
 *
 * <p>Deterministic: every random choice is seeded (the seeds are in kit.yaml), so the same code
 * builds the same models and the same report. {@code bin/junction models build} and the Maven
 * build call it; it never deletes anything in the output folder but the folders of its own models.
 */
public final class ModelKit {
  public static final long UTTERANCE_SLOT_SEED = 17L;
  public static final int MAX_DECODE_STEPS = 30;
  public static final int RECALL_K = 10;
  /** What the kit built and measured, in the repository's root (docs/model-repository.md). */
  public static final String KIT_YAML = "kit.yaml";
  static final Path DEFAULT_OUT = Path.of("models", "target", "model-repository");

  private ModelKit() {}

  /** Builds the whole repository into {@code outDir}, reporting each stage to {@code progress}. */
  public static KitReport build(Path outDir, Consumer<String> progress) {
    TensorFlowRuntime.start();
    ModelRepository repository = ModelRepository.open(createDirectories(outDir));
    progress.accept("building the model repository in " + repository.root());

    ConversationKit.Built conversation = ConversationKit.build(repository, UTTERANCE_SLOT_SEED, progress);
    InteractionGenerator.Settings generator = InteractionGenerator.Settings.DEFAULT;
    ImplicitAls.Settings als = ImplicitAls.Settings.DEFAULT;
    RecommendationKit.Built recommendation = RecommendationKit.build(repository, generator, als, progress);

    progress.accept("quality: running the exported models through DJL");
    UtteranceSet utterances = conversation.utterances();
    double heldOutAccuracy;
    KitReport.FollowUps followUps;
    try (IntentEvaluation intents = new IntentEvaluation(repository)) {
      heldOutAccuracy = intents.accuracy(utterances.heldOut());
      // Held-out turns only: the training follow-ups are what the classifier learnt from.
      followUps = new KitReport.FollowUps(utterances.followUpTrain().size(), utterances.followUpHeldOut().size(),
          intents.followUpAccuracy(utterances.followUpHeldOut(), true),
          intents.followUpAccuracy(utterances.followUpHeldOut(), false),
          intents.accuracyAfterAnotherIntent(utterances.heldOut(), utterances.labels()));
    }
    Map<String, String> replies = new LinkedHashMap<>();
    try (GreedyDecoder decoder = new GreedyDecoder(repository)) {
      List<String> labels = conversation.utterances().labels();
      for (int id = 0; id < labels.size(); id++) {
        GreedyDecoder.Reply reply = decoder.decode(id, MAX_DECODE_STEPS);
        replies.put(labels.get(id), reply.text() + (reply.endedWithEos() ? "" : " ..."));
      }
    }
    RecommendationEvaluation.Result recall;
    try (RecommendationEvaluation evaluation = new RecommendationEvaluation(repository)) {
      recall = evaluation.evaluate(recommendation.interactions(), recommendation.popularity(), RECALL_K);
    }

    List<String> models = new ArrayList<>(ConversationKit.modelNames());
    models.addAll(RecommendationKit.modelNames());
    KitReport report = new KitReport(
        new KitReport.Seeds(UTTERANCE_SLOT_SEED, generator.seed(), als.seed()),
        new KitReport.Conversation(
            conversation.utterances().labels(),
            conversation.utterances().train().size(),
            conversation.utterances().heldOut().size(),
            Featurizer.BUCKETS,
            conversation.vocabulary().size(),
            conversation.trainAccuracy(),
            heldOutAccuracy,
            replies,
            followUps),
        new KitReport.Recommendation(
            recommendation.interactions().users(),
            recommendation.interactions().items(),
            recommendation.embeddingDim(),
            recommendation.interactions().trainSize(),
            recommendation.interactions().heldOutSize(),
            recall.users(),
            recall.pipelineRecall(),
            recall.popularityRecall()),
        models);
    Path kitYaml = repository.root().resolve(KIT_YAML);
    try {
      Files.writeString(kitYaml, report.toYaml(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + kitYaml, e);
    }
    progress.accept("wrote " + kitYaml);
    return report;
  }

  private static Path createDirectories(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("creating the model repository " + dir, e);
    }
  }

  /** {@code ModelKit [--out DIR]}: builds the repository and prints progress and the report. */
  public static void main(String[] args) {
    Path out = DEFAULT_OUT;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> {
          if (i + 1 >= args.length) {
            usage("--out: missing DIR");
            return;
          }
          out = Path.of(args[++i]);
        }
        case "-h", "--help" -> {
          usage(null);
          return;
        }
        default -> {
          usage(args[i] + ": unknown argument");
          return;
        }
      }
    }
    long start = System.nanoTime();
    Consumer<String> progress = line -> System.out.printf(Locale.ROOT, "[%5.1fs] %s%n",
        (System.nanoTime() - start) / 1e9, line);
    KitReport report = build(out, progress);
    System.out.println(report.summary());
    System.out.printf(Locale.ROOT, "built in %.1f s%n", (System.nanoTime() - start) / 1e9);
  }

  private static void usage(String error) {
    if (error != null) {
      System.err.println(error);
    }
    System.err.println("usage: ModelKit [--out DIR]   (default: " + DEFAULT_OUT + ")");
    if (error != null) {
      // Only a wrong command line is an error; exit non-zero so scripts notice.
      System.exit(2);
    }
  }
}
