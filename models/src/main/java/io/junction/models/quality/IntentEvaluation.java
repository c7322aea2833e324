package io.junction.models.quality;

import io.junction.models.conversation.FollowUp;
import io.junction.models.conversation.Featurizer;
import io.junction.models.conversation.IntentModel;
import io.junction.models.conversation.SessionIntentModel;
import io.junction.models.conversation.Utterance;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.ModelLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Classifies text with the exported {@code featurizer}, {@code intent} and {@code session_intent}
 * models, chained as the demo's chat pipeline chains them, and measures accuracy on labelled
 * utterances and on follow-up turns.
 */
public final class IntentEvaluation implements AutoCloseable {
  private static final int BATCH = 64;

  private final SavedModelRunner featurizer;
  private final SavedModelRunner intent;
  private final SavedModelRunner sessionIntent;

  /** One classified text. */
  public record Prediction(String text, String intent, long intentId, float confidence) {}

  public IntentEvaluation(ModelRepository repository) {
    ModelLoader loader = SavedModelRunner.cpuLoader();
    this.featurizer = SavedModelRunner.open(loader, repository, Featurizer.NAME);
    this.intent = SavedModelRunner.open(loader, repository, IntentModel.NAME);
    this.sessionIntent = SavedModelRunner.open(loader, repository, SessionIntentModel.NAME);
  }

  /** The text alone: what the {@code intent} model says. */
  public List<Prediction> classify(List<String> texts) {
    return classify(texts, null);
  }

  /**
   * Each text as a turn after one of intent {@code previousIntents[i]} ("" for a conversation's
   * first turn): what {@code session_intent} makes of the {@code intent} model's answer.
   */
  public List<Prediction> classifyInSession(List<String> texts, List<String> previousIntents) {
    if (previousIntents.size() != texts.size()) {
      throw new IllegalArgumentException("previous intents: " + previousIntents.size() + " (expected: one per text, "
          + texts.size() + ")");
    }
    return classify(texts, previousIntents);
  }

  private List<Prediction> classify(List<String> texts, List<String> previousIntents) {
    List<Prediction> out = new ArrayList<>();
    for (int from = 0; from < texts.size(); from += BATCH) {
      int to = Math.min(texts.size(), from + BATCH);
      List<String> batch = texts.subList(from, to);
      long[] shape = {batch.size()};
      Tensor features = featurizer.run(Tensor.ofStrings("text", shape, batch)).get("features");
      Map<String, Tensor> result = intent.run(features);
      if (previousIntents != null) {
        result = sessionIntent.run(result.get("intent_id"), result.get("confidence"), result.get("followup"),
            Tensor.ofStrings("previous_intent", shape, previousIntents.subList(from, to)));
      }
      List<String> labels = result.get("intent").strings();
      long[] ids = result.get("intent_id").longs();
      float[] confidence = result.get("confidence").floats();
      for (int i = 0; i < batch.size(); i++) {
        out.add(new Prediction(batch.get(i), labels.get(i), ids[i], confidence[i]));
      }
    }
    return out;
  }

  /** The share of {@code utterances} whose predicted intent (from the text alone) is their label. */
  public double accuracy(List<Utterance> utterances) {
    return share(classify(texts(utterances)), utterances.stream().map(Utterance::intent).toList());
  }

  /**
   * The share of {@code utterances} whose intent is still theirs when each is the turn after one
   * of another intent: a turn that carries an intent must not be taken for a follow-up. The
   * previous intent of an utterance is the next label after its own in {@code labels}.
   */
  public double accuracyAfterAnotherIntent(List<Utterance> utterances, List<String> labels) {
    List<String> previous = utterances.stream()
        .map(u -> labels.get((labels.indexOf(u.intent()) + 1) % labels.size())).toList();
    return share(classifyInSession(texts(utterances), previous), utterances.stream().map(Utterance::intent).toList());
  }

  /**
   * The share of follow-up {@code turns} that get their previous turn's intent: {@code withSession}
   * with that intent as the session's, otherwise with none (the text alone, as a call without a
   * session_id gets it).
   */
  public double followUpAccuracy(List<FollowUp> turns, boolean withSession) {
    List<String> texts = turns.stream().map(FollowUp::text).toList();
    List<String> previous = withSession ? turns.stream().map(FollowUp::previousIntent).toList()
        : Collections.nCopies(turns.size(), "");
    return share(classifyInSession(texts, previous), turns.stream().map(FollowUp::previousIntent).toList());
  }

  private static List<String> texts(List<Utterance> utterances) {
    return utterances.stream().map(Utterance::text).toList();
  }

  private static double share(List<Prediction> predictions, List<String> expected) {
    int correct = 0;
    for (int i = 0; i < expected.size(); i++) {
      if (predictions.get(i).intent().equals(expected.get(i))) {
        correct++;
      }
    }
    return (double) correct / expected.size();
  }

  @Override
  public void close() {
    featurizer.close();
    intent.close();
    sessionIntent.close();
  }
}
