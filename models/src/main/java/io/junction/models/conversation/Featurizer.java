package io.junction.models.conversation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.GraphOps;
import io.junction.models.tf.Tensors;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.ndarray.index.Indices;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.strings.Join;
import org.tensorflow.op.strings.StringSplit;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The {@code featurizer} model: text to an L2-normalised hashed bag of unigrams and bigrams,
 * computed entirely with TensorFlow string ops so that any client (or pipeline) can send raw text.
 *
 * <p>The intent classifier is trained on features produced by running this very graph
 * ({@link #featurize}), so training and serving can never featurize differently.
 */
public final class Featurizer {
  public static final String NAME = "featurizer";
  public static final int BUCKETS = 2048;

  private Featurizer() {}

  public static GraphModel build() {
    GraphModel model = new GraphModel(NAME);
    Placeholder<TString> text = model.input("text", TString.class, -1);
    model.output("features", features(model.tf(), text), -1, BUCKETS);
    return model;
  }

  /** Runs the featurizer graph of {@code model} (from {@link #build}) over {@code texts}. */
  public static float[][] featurize(GraphModel model, List<String> texts) {
    float[] flat;
    try (TString in = Tensors.of(texts.toArray(String[]::new));
        Result out = model.run("text", in, "features")) {
      flat = Tensors.floats(out.get(0));
    }
    return Tensors.rows(flat, BUCKETS);
  }

  static Operand<TFloat32> features(Ops tf, Operand<TString> text) {
    // "What's up?" -> "whats up": apostrophes vanish so contractions stay one token; every other
    // run of non-alphanumerics separates tokens. lower() is ASCII-only, as the data is.
    Operand<TString> lower = tf.strings.lower(text);
    Operand<TString> joined = tf.strings.regexReplace(lower, tf.constant("'"), tf.constant(""));
    Operand<TString> clean = tf.strings.regexReplace(joined, tf.constant("[^a-z0-9]+"), tf.constant(" "));
    // An empty separator splits on runs of whitespace and yields no empty tokens, so "" and "?!"
    // contribute nothing and featurize to the zero vector.
    StringSplit split = tf.strings.stringSplit(clean, tf.constant(""));
    Operand<TString> tokens = split.values();
    Operand<TInt64> rows = tf.stridedSlice(split.indices(), Indices.all(), Indices.at(0));

    // Bigrams pair each token with the next one of the same text.
    Operand<TString> bigrams = tf.strings.join(
        List.of(tf.stridedSlice(tokens, Indices.sliceTo(-1)), tf.stridedSlice(tokens, Indices.sliceFrom(1))),
        Join.separator(" "));
    Operand<TInt64> bigramRows = tf.stridedSlice(rows, Indices.sliceTo(-1));
    Operand<TFloat32> bigramWeights = tf.dtypes.cast(
        tf.math.equal(bigramRows, tf.stridedSlice(rows, Indices.sliceFrom(1))), TFloat32.class);

    Operand<TInt64> buckets = tf.constant((long) BUCKETS);
    Operand<TInt64> cells = tf.concat(List.of(
        tf.math.add(tf.math.mul(rows, buckets), tf.strings.toHashBucketFast(tokens, (long) BUCKETS)),
        tf.math.add(tf.math.mul(bigramRows, buckets), tf.strings.toHashBucketFast(bigrams, (long) BUCKETS))),
        tf.constant(0));
    Operand<TFloat32> weights = tf.concat(List.of(tf.onesLike(tf.dtypes.cast(rows, TFloat32.class)), bigramWeights),
        tf.constant(0));

    Operand<TInt64> batch = GraphOps.batchSize(tf, text);
    Operand<TFloat32> counts = tf.reshape(
        tf.math.unsortedSegmentSum(weights, cells, tf.math.mul(batch, buckets)),
        tf.stack(List.of(batch, buckets)));
    Operand<TFloat32> squaredNorm = tf.reduceSum(tf.math.square(counts), tf.constant(1),
        org.tensorflow.op.core.ReduceSum.keepDims(true));
    return tf.math.mul(counts, tf.math.rsqrt(tf.math.maximum(squaredNorm, tf.constant(1e-12f))));
  }
}
