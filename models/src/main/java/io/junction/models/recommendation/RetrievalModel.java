package io.junction.models.recommendation;

import io.junction.models.tf.GraphModel;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The {@code retrieval} model: exact maximum inner product search of an embedding against every
 * item factor. Exact because 1000 items cost one small matmul; it does not filter what the user
 * has seen, as it knows no user (the ranker does).
 */
public final class RetrievalModel {
  public static final String NAME = "retrieval";
  public static final int TOP_N = 200;

  private RetrievalModel() {}

  public static GraphModel build(float[][] itemFactors) {
    int items = itemFactors.length;
    int d = itemFactors[0].length;
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TFloat32> embedding = model.input("embedding", TFloat32.class, -1, d);
    Operand<TFloat32> factors = model.weight("item_factors", Embeddings.flatten(itemFactors), items, d);
    Operand<TFloat32> scores = tf.linalg.matMul(embedding, factors, MatMul.transposeB(true));
    TopK<TFloat32> top = tf.nn.topK(scores, tf.constant(TOP_N), TopK.sorted(true));
    model.output("items", tf.dtypes.cast(top.indices(), TInt64.class), -1, TOP_N);
    model.output("scores", top.values(), -1, TOP_N);
    return model;
  }
}
