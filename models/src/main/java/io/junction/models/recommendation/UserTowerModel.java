package io.junction.models.recommendation;

import io.junction.models.tf.GraphModel;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TInt64;

/** The {@code user_tower} model: a user id to that user's ALS factor (its embedding). */
public final class UserTowerModel {
  public static final String NAME = "user_tower";

  private UserTowerModel() {}

  public static GraphModel build(float[][] userFactors) {
    int users = userFactors.length;
    int d = userFactors[0].length;
    GraphModel model = new GraphModel(NAME);
    Placeholder<TInt64> userId = model.input("user_id", TInt64.class, -1);
    var factors = model.weight("user_factors", Embeddings.flatten(userFactors), users, d);
    model.output("embedding", model.tf().gather(factors, userId, model.tf().constant(0)), -1, d);
    model.constrain("user_id", 0, users - 1);
    return model;
  }
}
