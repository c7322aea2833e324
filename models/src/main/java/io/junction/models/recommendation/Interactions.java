package io.junction.models.recommendation;

import java.util.Arrays;

/**
 * Who interacted with what, split by time: {@code train[u]} and {@code heldOut[u]} are the sorted
 * item ids of user {@code u} before and after the cut-off. Models only ever see {@code train}.
 */
public record Interactions(int users, int items, int[][] train, int[][] heldOut) {

  /** How many training interactions each item has: its popularity. */
  public int[] trainCounts() {
    int[] counts = new int[items];
    for (int[] row : train) {
      for (int i : row) {
        counts[i]++;
      }
    }
    return counts;
  }

  public int trainSize() {
    return Arrays.stream(train).mapToInt(r -> r.length).sum();
  }

  public int heldOutSize() {
    return Arrays.stream(heldOut).mapToInt(r -> r.length).sum();
  }

  /** The train interactions as a dense row-major [users][items] matrix. */
  public boolean[] trainMatrix() {
    boolean[] m = new boolean[users * items];
    for (int u = 0; u < users; u++) {
      for (int i : train[u]) {
        m[u * items + i] = true;
      }
    }
    return m;
  }

  public boolean seenInTrain(int user, int item) {
    return Arrays.binarySearch(train[user], item) >= 0;
  }
}
