package io.junction.models.quality;

import java.util.Arrays;

/**
 * Recall@k averaged over users: for each user, the share of their held-out items found in their
 * first k recommendations; users with nothing held out are skipped by the caller.
 */
public final class RecallAtK {
  private double sum;
  private int users;

  /** Adds one user: {@code recommended} in rank order, {@code heldOut} sorted ascending. */
  public void add(long[] recommended, int[] heldOut, int k) {
    if (heldOut.length == 0) {
      throw new IllegalArgumentException("heldOut: empty (expected: at least one item)");
    }
    int hits = 0;
    for (int r = 0; r < Math.min(k, recommended.length); r++) {
      if (recommended[r] >= 0 && recommended[r] <= Integer.MAX_VALUE
          && Arrays.binarySearch(heldOut, (int) recommended[r]) >= 0) {
        hits++;
      }
    }
    sum += (double) hits / heldOut.length;
    users++;
  }

  public int users() {
    return users;
  }

  public double value() {
    return users == 0 ? 0 : sum / users;
  }
}
