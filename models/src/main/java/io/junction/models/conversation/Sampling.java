package io.junction.models.conversation;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.core.SwitchCond;
import org.tensorflow.op.strings.Join;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The responder's choice of the next token, in the graph, row by row: greedy, or a draw with a
 * temperature and a top-k cut that depends only on the row's own seed and iteration.
 *
 * <p>Why not TensorFlow's stateless random ops: they take one seed for the whole op, and a
 * worker batches the rows of concurrent conversations into one call, so a row's draw would
 * depend on which rows shared its batch. Here each row gets one uniform number u in [0, 1) from
 * the 64-bit fingerprint (FarmHash Fingerprint64, stable across processes and platforms) of the
 * text {@code "<seed>/<iteration>"}, and picks the token where the cumulative probability first
 * exceeds u: inverse-CDF sampling, one hash a row instead of one a token.
 */
final class Sampling {
  /** u has 24 bits: every value is exact in float32, and u * total stays below total. */
  private static final long BUCKETS = 1L << 24;

  private Sampling() {}

  /**
   * @param scores      [B, V] log-probabilities (any finite or -inf values)
   * @param temperature [B]; a row whose temperature is not above 0 (NaN included) is greedy
   * @param topK        [B]; 0, or a k of at least V, keeps every token
   * @param seed        [B] the row's seed
   * @param iteration   [B] the decode step, so that each step of one reply draws a new u
   * @return [B] the chosen token ids
   */
  static Operand<TInt64> choose(Ops tf, Operand<TFloat32> scores, long v, Operand<TFloat32> temperature,
      Operand<TInt32> topK, Operand<TInt64> seed, Operand<TInt64> iteration) {
    Operand<TInt32> one = tf.constant(1);
    Operand<TInt64> greedyIds = tf.math.argMax(scores, one, TInt64.class);
    // The draw runs only when a row of the call samples: a switch on "any row samples" sends the
    // inputs of the draw down a branch that greedy calls leave dead, so greedy decoding, the
    // default, pays for the argmax alone and not for the sort, softmax, sums and hash of a draw.
    Operand<TBool> anySamples = tf.reduceAny(tf.math.greater(temperature, tf.constant(0f)), tf.constant(0));
    SwitchCond<TInt64> greedyWay = tf.switchCond(greedyIds, anySamples);
    Operand<TInt64> drawnOrGreedy = draw(tf, tf.switchCond(scores, anySamples).outputTrue(), v,
        tf.switchCond(temperature, anySamples).outputTrue(), tf.switchCond(topK, anySamples).outputTrue(),
        tf.switchCond(seed, anySamples).outputTrue(), tf.switchCond(iteration, anySamples).outputTrue(),
        greedyWay.outputTrue());
    return tf.merge(List.of(greedyWay.outputFalse(), drawnOrGreedy)).output();
  }

  /** The branch where some row samples: each sampling row draws, the others keep {@code greedy}. */
  private static Operand<TInt64> draw(Ops tf, Operand<TFloat32> scores, long v, Operand<TFloat32> temperature,
      Operand<TInt32> topK, Operand<TInt64> seed, Operand<TInt64> iteration, Operand<TInt64> greedy) {
    Operand<TInt32> one = tf.constant(1);
    Operand<TBool> sample = tf.math.greater(temperature, tf.constant(0f));
    Operand<TFloat32> safeT = tf.select(sample, temperature, tf.onesLike(temperature));
    Operand<TFloat32> scaled = tf.math.div(scores, tf.expandDims(safeT, one));

    // The k-th best scaled score of each row; scores below it are cut (ties with it are kept).
    Operand<TInt64> k = tf.dtypes.cast(topK, TInt64.class);
    Operand<TInt64> vocab = tf.constant(v);
    Operand<TInt64> kept = tf.select(tf.math.logicalAnd(tf.math.greater(k, tf.constant(0L)), tf.math.less(k, vocab)),
        k, tf.fill(tf.shape(k, TInt64.class), vocab));
    Operand<TFloat32> sorted = tf.nn.topK(scaled, tf.constant((int) v)).values();
    Operand<TFloat32> kth = tf.gather(sorted, tf.math.sub(kept, tf.constant(1L)), one, Gather.batchDims(1L));
    Operand<TFloat32> masked = tf.select(tf.math.greaterEqual(scaled, tf.expandDims(kth, one)), scaled,
        tf.fill(tf.shape(scaled), tf.constant(Float.NEGATIVE_INFINITY)));
    Operand<TFloat32> probs = tf.nn.softmax(masked);

    Operand<TFloat32> cdf = tf.math.cumsum(probs, one);
    Operand<TFloat32> total = tf.reduceSum(probs, one);
    Operand<TFloat32> target = tf.math.mul(uniform(tf, seed, iteration), total);
    Operand<TInt64> below = tf.reduceSum(tf.dtypes.cast(tf.math.lessEqual(cdf, tf.expandDims(target, one)), TInt64.class),
        one);
    // Rounding in the sums could push the pick past the last token with any probability: stop there.
    Operand<TInt64> positions = tf.expandDims(tf.range(tf.constant(0L), vocab, tf.constant(1L)), tf.constant(0));
    Operand<TInt64> last = tf.reduceMax(tf.select(tf.math.greater(probs, tf.constant(0f)), positions,
        tf.zerosLike(positions)), one);
    Operand<TInt64> drawn = tf.math.minimum(below, last);
    return tf.select(sample, drawn, greedy);
  }

  /** [B] numbers in [0, 1), a function of each row's seed and iteration only. */
  private static Operand<TFloat32> uniform(Ops tf, Operand<TInt64> seed, Operand<TInt64> iteration) {
    Operand<TString> key = tf.strings.join(List.of(tf.dtypes.asString(seed), tf.dtypes.asString(iteration)),
        Join.separator("/"));
    Operand<TInt64> bucket = tf.strings.toHashBucketFast(key, BUCKETS);
    return tf.math.div(tf.dtypes.cast(bucket, TFloat32.class), tf.constant((float) BUCKETS));
  }
}
