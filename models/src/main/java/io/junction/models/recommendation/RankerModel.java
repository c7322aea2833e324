package io.junction.models.recommendation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.GraphOps;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.ReduceAny;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The {@code ranker} model: rescores merged candidates (retrieval and popular, duplicates and all)
 * by taste (embedding . item factor) plus a small popularity prior, and returns the best 50.
 *
 * <p>A candidate is dropped when an earlier column of the same row holds the same item (so a
 * duplicate keeps its first occurrence) or when the user interacted with it in training. If fewer
 * than 50 candidates survive, the tail is padded with item -1 and score -inf, so the output shape
 * never depends on the input.
 */
public final class RankerModel {
  public static final String NAME = "ranker";
  public static final int TOP_N = 50;

  private RankerModel() {}

  public static GraphModel build(float[][] itemFactors, float[] prior, Interactions interactions) {
    int items = itemFactors.length;
    int d = itemFactors[0].length;
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TInt64> userId = model.input("user_id", TInt64.class, -1);
    Placeholder<TFloat32> embedding = model.input("embedding", TFloat32.class, -1, d);
    Placeholder<TInt64> candidates = model.input("candidates", TInt64.class, -1, -1);
    Operand<TFloat32> factors = model.weight("item_factors", Embeddings.flatten(itemFactors), items, d);
    Operand<TFloat32> priors = model.weight("item_prior", prior, items);
    Operand<TBool> seen = model.weight("train_interactions", interactions.trainMatrix(),
        interactions.users(), items);

    Operand<TInt64> zero = tf.constant(0L);
    Operand<TInt64> one = tf.constant(1L);
    Operand<TInt64> two = tf.constant(2L);
    // taste[b, n] = embedding[b] . factors[candidates[b, n]]
    Operand<TFloat32> candidateFactors = tf.gather(factors, candidates, zero);
    Operand<TFloat32> taste = tf.reduceSum(tf.math.mul(candidateFactors, tf.expandDims(embedding, one)), two,
        ReduceSum.keepDims(false));
    Operand<TFloat32> score = tf.math.add(taste, tf.gather(priors, candidates, zero));

    Operand<TBool> seenByUser = tf.gather(tf.gather(seen, userId, zero), candidates, one, Gather.batchDims(1L));
    Operand<TBool> repeated = repeatsEarlierColumn(tf, candidates);
    Operand<TBool> dropped = tf.math.logicalOr(seenByUser, repeated);
    Operand<TFloat32> minusInf = tf.constant(Float.NEGATIVE_INFINITY);
    Operand<TFloat32> kept = tf.select(dropped, tf.fill(tf.shape(score), minusInf), score);

    // Pad with TOP_N dropped columns so top-k always has enough to choose from.
    Operand<TInt64> padShape = tf.stack(List.of(GraphOps.batchSize(tf, candidates), tf.constant((long) TOP_N)));
    Operand<TFloat32> paddedScores = tf.concat(List.of(kept, tf.fill(padShape, minusInf)), one);
    Operand<TInt64> paddedItems = tf.concat(List.of(candidates, tf.fill(padShape, tf.constant(-1L))), one);
    TopK<TFloat32> top = tf.nn.topK(paddedScores, tf.constant(TOP_N), TopK.sorted(true));
    Operand<TInt64> topItems = tf.gather(paddedItems, top.indices(), one, Gather.batchDims(1L));
    Operand<TInt64> cleaned = tf.select(tf.math.isFinite(top.values()), topItems,
        tf.fill(tf.shape(topItems), tf.constant(-1L)));
    model.output("items", cleaned, -1, TOP_N);
    model.output("scores", top.values(), -1, TOP_N);
    model.constrain("user_id", 0, interactions.users() - 1);
    model.constrain("candidates", 0, items - 1);
    return model;
  }

  /** [B, N]: true where the same row holds the same item in an earlier column. */
  private static Operand<TBool> repeatsEarlierColumn(Ops tf, Operand<TInt64> candidates) {
    Operand<TBool> same = tf.math.equal(tf.expandDims(candidates, tf.constant(2)),
        tf.expandDims(candidates, tf.constant(1)));
    Operand<TInt64> columns = tf.range(tf.constant(0L),
        tf.squeeze(tf.slice(tf.shape(candidates, TInt64.class), tf.constant(new long[] {1}), tf.constant(new long[] {1}))),
        tf.constant(1L));
    // earlier[i, j] = j < i
    Operand<TBool> earlier = tf.math.less(tf.expandDims(columns, tf.constant(0)), tf.expandDims(columns, tf.constant(1)));
    return tf.reduceAny(tf.math.logicalAnd(same, earlier), tf.constant(2), ReduceAny.keepDims(false));
  }
}
