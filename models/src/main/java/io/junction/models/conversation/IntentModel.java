package io.junction.models.conversation;

import io.junction.models.tf.GraphModel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.tensorflow.Operand;
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
 */
public final class IntentModel {
  public static final String NAME = "intent";

  private IntentModel() {}

  public static GraphModel build(SoftmaxRegression.Weights weights, List<String> labels) {
    int classes = weights.classes();
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TFloat32> features = model.input("features", TFloat32.class, -1, weights.features());
    Operand<TFloat32> w = model.weight("w", weights.weights(), weights.features(), classes);
    Operand<TFloat32> b = model.weight("b", weights.bias(), classes);
    Operand<TFloat32> probabilities = tf.nn.softmax(tf.math.add(tf.linalg.matMul(features, w), b));
    Operand<TInt64> intentId = tf.math.argMax(probabilities, tf.constant(1), TInt64.class);
    Operand<TString> names = tf.constant(StandardCharsets.UTF_8, labels.toArray(String[]::new));
    model.output("intent_id", intentId, -1);
    model.output("intent", tf.gather(names, intentId, tf.constant(0)), -1);
    model.output("confidence", tf.reduceMax(probabilities, tf.constant(1), ReduceMax.keepDims(false)), -1);
    model.output("probabilities", probabilities, -1, classes);
    model.labels(labels);
    return model;
  }
}
