package io.junction.models.conversation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.GraphOps;
import java.nio.charset.StandardCharsets;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.index.Indices;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The {@code responder} model: one decode step of the trigram language model. Given the intent and
 * the previous two token ids it returns log-probabilities of the next token, the chosen next
 * token's id and its text. The decode loop (and so streaming) belongs to the pipeline, not the
 * model.
 *
 * <p>The context's row is found by exact key: the trigram row if that context was seen in the
 * replies, else the bigram row of (intent, w-1), else the intent's unigram row.
 *
 * <p>The choice is greedy (the argmax) for a row whose {@code temperature} is 0 (or negative, or
 * NaN), else a draw ({@link Sampling}) from the scores divided by the temperature, cut to the
 * {@code top_k} best (0: no cut), keyed by the row's {@code seed} and {@code iteration}.
 */
public final class ResponderModel {
  public static final String NAME = "responder";

  private ResponderModel() {}

  public static GraphModel build(TrigramLanguageModel lm, Vocabulary vocabulary, int intents) {
    TrigramLanguageModel.Tables t = lm.tables();
    long v = vocabulary.size();
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TInt64> intentId = model.input("intent_id", TInt64.class, -1);
    Placeholder<TInt64> context = model.input("context", TInt64.class, -1, 2);
    Placeholder<TFloat32> temperature = model.input("temperature", TFloat32.class, -1);
    Placeholder<TInt32> topK = model.input("top_k", TInt32.class, -1);
    Placeholder<TInt64> seed = model.input("seed", TInt64.class, -1);
    Placeholder<TInt64> iteration = model.input("iteration", TInt64.class, -1);
    Operand<TInt64> previous2 = tf.stridedSlice(context, Indices.all(), Indices.at(0));
    Operand<TInt64> previous1 = tf.stridedSlice(context, Indices.all(), Indices.at(1));
    Operand<TInt64> vocab = tf.constant(v);

    Operand<TInt64> trigramKeys = model.weight("trigram_keys", t.trigramKeys(), t.trigramKeys().length);
    Operand<TInt64> bigramKeys = model.weight("bigram_keys", t.bigramKeys(), t.bigramKeys().length);
    Operand<TFloat32> table = model.weight("log_probs", t.logProbs(), t.rows(), v);

    Operand<TInt64> bigramKey = tf.math.add(tf.math.mul(intentId, vocab), previous1);
    Operand<TInt64> trigramKey = tf.math.add(tf.math.mul(tf.math.add(tf.math.mul(intentId, vocab), previous2), vocab),
        previous1);
    GraphOps.Lookup trigram = GraphOps.lookup(tf, trigramKeys, trigramKey, t.trigramKeys().length);
    GraphOps.Lookup bigram = GraphOps.lookup(tf, bigramKeys, bigramKey, t.bigramKeys().length);
    long bigramBase = t.trigramKeys().length;
    long intentBase = bigramBase + t.bigramKeys().length;
    Operand<TInt64> row = tf.select(trigram.found(), trigram.index(),
        tf.select(bigram.found(), tf.math.add(bigram.index(), tf.constant(bigramBase)),
            tf.math.add(intentId, tf.constant(intentBase))));

    Operand<TFloat32> scores = tf.gather(table, row, tf.constant(0));
    Operand<TInt64> nextId = Sampling.choose(tf, scores, v, temperature, topK, seed, iteration);
    Operand<TString> tokens = tf.constant(StandardCharsets.UTF_8, vocabulary.tokens().toArray(String[]::new));
    model.output("scores", scores, -1, v);
    model.output("next_id", nextId, -1);
    model.output("next_token", tf.gather(tokens, nextId, tf.constant(0)), -1);
    // Out-of-range ids would make gather fail inside TensorFlow; the worker rejects them first.
    model.constrain("intent_id", 0, intents - 1);
    model.constrain("context", 0, v - 1);
    // A k above the vocabulary is no cut; a negative k has no meaning.
    model.constrain("top_k", 0, Integer.MAX_VALUE);
    model.constrain("iteration", 0, Long.MAX_VALUE);
    return model;
  }
}
