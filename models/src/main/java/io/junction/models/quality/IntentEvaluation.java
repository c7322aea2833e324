package io.junction.models.quality;

import io.junction.models.conversation.Featurizer;
import io.junction.models.conversation.IntentModel;
import io.junction.models.conversation.Utterance;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.ModelLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Classifies text with the exported {@code featurizer} and {@code intent} models, chained as the
 * conversation pipeline chains them, and measures accuracy on labelled utterances.
 */
public final class IntentEvaluation implements AutoCloseable {
  private static final int BATCH = 64;

  private final SavedModelRunner featurizer;
  private final SavedModelRunner intent;

  /** One classified text. */
  public record Prediction(String text, String intent, long intentId, float confidence) {}

  public IntentEvaluation(ModelRepository repository) {
    ModelLoader loader = SavedModelRunner.cpuLoader();
    this.featurizer = SavedModelRunner.open(loader, repository, Featurizer.NAME);
    this.intent = SavedModelRunner.open(loader, repository, IntentModel.NAME);
  }

  public List<Prediction> classify(List<String> texts) {
    List<Prediction> out = new ArrayList<>();
    for (int from = 0; from < texts.size(); from += BATCH) {
      List<String> batch = texts.subList(from, Math.min(texts.size(), from + BATCH));
      Tensor features = featurizer.run(Tensor.ofStrings("text", new long[] {batch.size()}, batch)).get("features");
      Map<String, Tensor> result = intent.run(features);
      List<String> labels = result.get("intent").strings();
      long[] ids = result.get("intent_id").longs();
      float[] confidence = result.get("confidence").floats();
      for (int i = 0; i < batch.size(); i++) {
        out.add(new Prediction(batch.get(i), labels.get(i), ids[i], confidence[i]));
      }
    }
    return out;
  }

  /** The share of {@code utterances} whose predicted intent is their label. */
  public double accuracy(List<Utterance> utterances) {
    List<Prediction> predictions = classify(utterances.stream().map(Utterance::text).toList());
    int correct = 0;
    for (int i = 0; i < utterances.size(); i++) {
      if (predictions.get(i).intent().equals(utterances.get(i).intent())) {
        correct++;
      }
    }
    return (double) correct / utterances.size();
  }

  @Override
  public void close() {
    featurizer.close();
    intent.close();
  }
}
