package io.junction.models.quality;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.junction.models.conversation.Featurizer;
import io.junction.models.conversation.IntentModel;
import io.junction.models.conversation.Utterance;
import io.junction.workers.repository.ModelRepository;
import java.nio.charset.StandardCharsets;
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
    this.featurizer = SavedModelRunner.open(repository, Featurizer.NAME);
    this.intent = SavedModelRunner.open(repository, IntentModel.NAME);
  }

  public List<Prediction> classify(List<String> texts) {
    List<Prediction> out = new ArrayList<>();
    for (int from = 0; from < texts.size(); from += BATCH) {
      List<String> batch = texts.subList(from, Math.min(texts.size(), from + BATCH));
      try (NDManager manager = NDManager.newBaseManager("TensorFlow")) {
        NDArray text = manager.create(batch.toArray(String[]::new), StandardCharsets.UTF_8, new Shape(batch.size()));
        NDArray features = featurizer.run(Map.of("text", text)).get("features");
        Map<String, NDArray> result = intent.run(Map.of("features", features));
        String[] labels = result.get("intent").toStringArray(StandardCharsets.UTF_8);
        long[] ids = result.get("intent_id").toLongArray();
        float[] confidence = result.get("confidence").toFloatArray();
        for (int i = 0; i < batch.size(); i++) {
          out.add(new Prediction(batch.get(i), labels[i], ids[i], confidence[i]));
        }
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
