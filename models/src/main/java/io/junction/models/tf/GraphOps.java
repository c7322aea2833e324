package io.junction.models.tf;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.LowerBound;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt64;

/** Small graph idioms the models share, so each model's graph reads as what it computes. */
public final class GraphOps {
  private GraphOps() {}

  /** The size of the first dimension of {@code x}, as an int64 scalar. */
  public static Operand<TInt64> batchSize(Ops tf, Operand<?> x) {
    return tf.squeeze(tf.slice(tf.shape(x, TInt64.class), tf.constant(new long[] {0}), tf.constant(new long[] {1})));
  }

  /**
   * Exact lookup of {@code queries} (any shape, flattened to [-1]) among {@code sortedKeys}
   * (ascending, at least one): the index of each query's key and whether it was found. TensorFlow
   * has no static hash table that survives this SavedModel exporter, and a binary search over a
   * sorted constant needs nothing but {@code LowerBound}.
   */
  public static Lookup lookup(Ops tf, Operand<TInt64> sortedKeys, Operand<TInt64> queries, long keyCount) {
    Operand<TInt64> flat = tf.reshape(queries, tf.constant(new long[] {1, -1}));
    Operand<TInt64> keysRow = tf.reshape(sortedKeys, tf.constant(new long[] {1, -1}));
    Operand<TInt64> position = tf.reshape(LowerBound.create(tf.scope(), keysRow, flat, TInt64.class),
        tf.constant(new long[] {-1}));
    Operand<TInt64> index = tf.math.minimum(position, tf.constant(keyCount - 1));
    Operand<TBool> found = tf.math.equal(tf.gather(sortedKeys, index, tf.constant(0)),
        tf.reshape(queries, tf.constant(new long[] {-1})));
    return new Lookup(index, found);
  }

  /** Where {@link #lookup} found each query, and at which index. */
  public record Lookup(Operand<TInt64> index, Operand<TBool> found) {}
}
