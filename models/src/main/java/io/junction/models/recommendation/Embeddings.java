package io.junction.models.recommendation;

/** Flattens factor matrices into the row-major arrays graph weights take. */
final class Embeddings {
  private Embeddings() {}

  static float[] flatten(float[][] rows) {
    int d = rows[0].length;
    float[] flat = new float[rows.length * d];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, flat, r * d, d);
    }
    return flat;
  }
}
