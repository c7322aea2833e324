package io.junction.models.recommendation;

import java.util.stream.IntStream;

/**
 * Item popularity in the training interactions: the {@code popular} model's candidates, the
 * ranker's prior and the baseline the pipeline is measured against.
 */
public final class Popularity {
  private final int[] counts;
  private final int[] ranking;

  public Popularity(int[] trainCounts) {
    this.counts = trainCounts.clone();
    // Most interactions first; equal counts by item id, so the order is total and reproducible.
    this.ranking = IntStream.range(0, counts.length).boxed()
        .sorted((a, b) -> counts[a] != counts[b] ? Integer.compare(counts[b], counts[a]) : Integer.compare(a, b))
        .mapToInt(Integer::intValue).toArray();
  }

  public int count(int item) {
    return counts[item];
  }

  /** All items, most popular first. */
  public int[] ranking() {
    return ranking.clone();
  }

  public int[] top(int k) {
    return java.util.Arrays.copyOf(ranking, k);
  }

  /** Each item's share of all training interactions. */
  public float[] shares() {
    double total = IntStream.of(counts).sum();
    float[] s = new float[counts.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) (counts[i] / total);
    }
    return s;
  }

  /**
   * A prior in [0, weight]: log(1 + count) scaled by the most popular item's. Logarithmic so that
   * it nudges the order of similar matches rather than overriding taste.
   */
  public float[] logPrior(double weight) {
    double max = Math.log1p(counts[ranking[0]]);
    float[] p = new float[counts.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (weight * Math.log1p(counts[i]) / max);
    }
    return p;
  }
}
