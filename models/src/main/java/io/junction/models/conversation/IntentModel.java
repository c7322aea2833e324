package io.junction.models.conversation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.Tensors;
import io.junction.models.tf.Warmups;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.ndarray.index.Indices;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.ReduceMax;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The {@code intent} model: softmax regression over featurizer output. Besides the probabilities
 * it returns the winning class as an id, as its label (so a pipeline can branch on text) and its
 * confidence (so a pipeline can fall back when unsure).
 *
 * <p>A second regression over the same features gives {@code followup}: the probability that the
 * text carries no intent of its own ("yes, two please") and continues the conversation's. It is a
 * classifier of its own, so the intents' classifier and its ids stay what they are without it;
 * {@link SessionIntentModel} is what turns a follow-up into its conversation's intent.
 */
public final class IntentModel {
  public static final String NAME = "intent";

  private IntentModel() {}

  /** What the graph of {@link #build} says about some texts, row by row. */
  record Answers(long[] intentIds, float[] confidence, float[] followUp) {}

  /**
   * {@code intents} has one class per label; {@code followUps} two, an utterance that carries an
   * intent (0) and a follow-up (1).
   */
  public static GraphModel build(SoftmaxRegression.Weights intents, SoftmaxRegression.Weights followUps,
      List<String> labels) {
    int classes = intents.classes();
    if (followUps.classes() != 2 || followUps.features() != intents.features()) {
      throw new IllegalArgumentException("follow-up weights: " + followUps.classes() + " classes over "
          + followUps.features() + " features (expected: 2 over " + intents.features() + ")");
    }
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TFloat32> features = model.input("features", TFloat32.class, -1, intents.features());
    Operand<TFloat32> probabilities = softmax(model, "", intents, features);
    Operand<TInt64> intentId = tf.math.argMax(probabilities, tf.constant(1), TInt64.class);
    model.output("intent_id", intentId, -1);
    model.output("intent", tf.gather(names(tf, labels), intentId, tf.constant(0)), -1);
    model.output("confidence", tf.reduceMax(probabilities, tf.constant(1), ReduceMax.keepDims(false)), -1);
    model.output("probabilities", probabilities, -1, classes);
    Operand<TFloat32> followUp = softmax(model, "followup_", followUps, features);
    model.output("followup", tf.stridedSlice(followUp, Indices.all(), Indices.at(1)), -1);
    model.labels(labels);
    return model;
  }

  private static Operand<TFloat32> softmax(GraphModel model, String prefix, SoftmaxRegression.Weights weights,
      Operand<TFloat32> features) {
    Ops tf = model.tf();
    Operand<TFloat32> w = model.weight(prefix + "w", weights.weights(), weights.features(), weights.classes());
    Operand<TFloat32> b = model.weight(prefix + "b", weights.bias(), weights.classes());
    return tf.nn.softmax(tf.math.add(tf.linalg.matMul(features, w), b));
  }

  /** Runs the graph of {@code model} (from {@link #build}) over rows of features. */
  static Answers answer(GraphModel model, float[][] features) {
    try (TFloat32 in = Tensors.of(Warmups.flatten(features, features.length), features.length, features[0].length);
        Result out = model.run("features", in, "intent_id", "confidence", "followup")) {
      return new Answers(Tensors.longs(out.get(0)), Tensors.floats(out.get(1)), Tensors.floats(out.get(2)));
    }
  }

  /** The intent names as a string constant, indexed by intent id. */
  static Operand<TString> names(Ops tf, List<String> labels) {
    return tf.constant(StandardCharsets.UTF_8, labels.toArray(String[]::new));
  }
}
