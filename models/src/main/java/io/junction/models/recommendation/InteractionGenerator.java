package io.junction.models.recommendation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generates a synthetic interaction log that has what real ones have: taste (hidden user and item
 * factors) and a long-tailed popularity (a Zipf-like item bias), so a personalised model can beat
 * "most popular" but popularity is still a real signal.
 *
 * <p>Each user picks items without replacement from softmax(affinity * u.v + popularity), via the
 * Gumbel-top-k trick; each interaction gets a time drawn uniformly over the observation window,
 * and everything after the cut-off is held out. One seeded generator drives it all, consumed in a
 * fixed order, so a seed names one data set.
 */
public final class InteractionGenerator {
  /** The shape of the generated log; {@link #DEFAULT} is the kit's. */
  public record Settings(
      int users, int items, int latentDim, double affinity, double popularitySkew,
      int minPerUser, double meanExtraPerUser, double heldOutFraction, long seed) {
    public static final Settings DEFAULT = new Settings(2000, 1000, 32, 4.0, 0.8, 12, 24, 0.2, 20240611L);
  }

  private InteractionGenerator() {}

  public static Interactions generate(Settings s) {
    Random random = new Random(s.seed());
    double[][] userTaste = gaussian(random, s.users(), s.latentDim(), 1 / Math.sqrt(s.latentDim()));
    double[][] itemTraits = gaussian(random, s.items(), s.latentDim(), 1.0);
    double[] popularity = popularity(random, s.items(), s.popularitySkew());

    int[][] train = new int[s.users()][];
    int[][] heldOut = new int[s.users()][];
    Integer[] order = new Integer[s.items()];
    double[] key = new double[s.items()];
    for (int u = 0; u < s.users(); u++) {
      int n = Math.min(s.items() / 4,
          s.minPerUser() + (int) Math.floor(-Math.log(1 - random.nextDouble()) * s.meanExtraPerUser()));
      for (int i = 0; i < s.items(); i++) {
        double gumbel = -Math.log(-Math.log(1 - random.nextDouble() * (1 - 1e-12)));
        key[i] = s.affinity() * dot(userTaste[u], itemTraits[i]) + popularity[i] + gumbel;
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> key[a] != key[b] ? Double.compare(key[b], key[a]) : Integer.compare(a, b));
      List<Integer> before = new ArrayList<>();
      List<Integer> after = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        boolean late = random.nextDouble() >= 1 - s.heldOutFraction();
        (late ? after : before).add(order[k]);
      }
      train[u] = before.stream().mapToInt(Integer::intValue).sorted().toArray();
      heldOut[u] = after.stream().mapToInt(Integer::intValue).sorted().toArray();
    }
    return new Interactions(s.users(), s.items(), train, heldOut);
  }

  /** Bias -skew * ln(1 + rank) for a random ranking of the items: a few are very popular. */
  private static double[] popularity(Random random, int items, double skew) {
    int[] rank = new int[items];
    for (int i = 0; i < items; i++) {
      rank[i] = i;
    }
    for (int i = items - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = rank[i];
      rank[i] = rank[j];
      rank[j] = t;
    }
    double[] bias = new double[items];
    for (int i = 0; i < items; i++) {
      bias[i] = -skew * Math.log(1 + rank[i]);
    }
    return bias;
  }

  private static double[][] gaussian(Random random, int rows, int cols, double scale) {
    double[][] m = new double[rows][cols];
    for (double[] row : m) {
      for (int c = 0; c < cols; c++) {
        row[c] = random.nextGaussian() * scale;
      }
    }
    return m;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }
}
