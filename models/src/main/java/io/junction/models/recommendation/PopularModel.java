package io.junction.models.recommendation;

import io.junction.models.tf.GraphModel;
import io.junction.models.tf.GraphOps;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The {@code popular} model: the most popular training items, with their share of interactions as
 * score, the same for every user. It takes {@code user_id} so a pipeline can call it beside
 * retrieval with the same input; the id only sets the batch size.
 */
public final class PopularModel {
  public static final String NAME = "popular";
  public static final int TOP_N = 50;

  private PopularModel() {}

  public static GraphModel build(Popularity popularity, int users) {
    int[] top = popularity.top(TOP_N);
    float[] shares = popularity.shares();
    long[] items = new long[TOP_N];
    float[] scores = new float[TOP_N];
    for (int k = 0; k < TOP_N; k++) {
      items[k] = top[k];
      scores[k] = shares[top[k]];
    }
    GraphModel model = new GraphModel(NAME);
    Ops tf = model.tf();
    Placeholder<TInt64> userId = model.input("user_id", TInt64.class, -1);
    Operand<TInt64> multiples = tf.stack(List.of(GraphOps.batchSize(tf, userId), tf.constant(1L)));
    Operand<TInt64> itemRow = model.weight("top_items", items, 1, TOP_N);
    Operand<TFloat32> scoreRow = model.weight("top_scores", scores, 1, TOP_N);
    model.output("items", tf.tile(itemRow, multiples), -1, TOP_N);
    model.output("scores", tf.tile(scoreRow, multiples), -1, TOP_N);
    model.constrain("user_id", 0, users - 1);
    return model;
  }
}
