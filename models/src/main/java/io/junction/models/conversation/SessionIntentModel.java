package io.junction.models.conversation;

import io.junction.models.tf.GraphModel;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.ReduceAny;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The {@code session_intent} model: the intent of a turn in its conversation. It takes what the
 * {@code intent} model says of the turn's text (the intent, its confidence and the probability
 * that the text is a follow-up) and the intent of the conversation's previous turn
 * ({@code session.previous_intent} in a pipeline, "" when there is none), and decides:
 *
 * <ul>
 *   <li>a follow-up (probability above one half) after a turn of a known intent continues that
 *       intent, with the follow-up's probability as confidence;
 *   <li>anything else keeps the intent of its text: a turn that carries an intent, and a
 *       follow-up that has no previous turn (or one of an unknown intent) to continue, which
 *       falls back to the intent its words suggest most.
 * </ul>
 *
 * <p>Graph logic only, no weights: the classifiers decide what a text is, this model applies that
 * to the session. Its outputs have the names and meaning of the {@code intent} model's, so a step
 * after it reads them as it would read the classifier's.
 */
public final class SessionIntentModel {
  public static final String NAME = "session_intent";
  /** The follow-up probability above which a text continues the previous intent. */
  static final float FOLLOW_UP_THRESHOLD = 0.5f;

  private SessionIntentModel() {}

  public static GraphModel build(List<String> labels) {
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TInt64> textId = model.input("intent_id", TInt64.class, -1);
    Placeholder<TFloat32> textConfidence = model.input("confidence", TFloat32.class, -1);
    Placeholder<TFloat32> followUp = model.input("followup", TFloat32.class, -1);
    Placeholder<TString> previous = model.input("previous_intent", TString.class, -1);

    // previous_intent against every intent name: [-1, C] matches, at most one per row.
    Operand<TString> names = IntentModel.names(tf, labels);
    Operand<TBool> matches = tf.math.equal(tf.expandDims(previous, tf.constant(1)), names);
    Operand<TBool> known = tf.reduceAny(matches, tf.constant(1), ReduceAny.keepDims(false));
    Operand<TInt64> previousId = tf.math.argMax(tf.dtypes.cast(matches, TFloat32.class), tf.constant(1), TInt64.class);

    Operand<TBool> continues = tf.math.logicalAnd(tf.math.greater(followUp, tf.constant(FOLLOW_UP_THRESHOLD)), known);
    Operand<TInt64> intentId = tf.select(continues, previousId, textId);
    model.output("intent_id", intentId, -1);
    model.output("intent", tf.gather(names, intentId, tf.constant(0)), -1);
    model.output("confidence", tf.select(continues, followUp, textConfidence), -1);
    model.constrain("intent_id", 0, labels.size() - 1);
    model.labels(labels);
    return model;
  }
}
