package io.junction.models.recommendation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImplicitAlsTest {
  @Test
  void usersScoreTheirOwnGroupsItemsAboveTheOtherGroups() {
    // Users 0-9 took items 0-4, users 10-19 took items 5-9, each missing one item of its group.
    int[][] train = new int[20][];
    for (int u = 0; u < 20; u++) {
      int base = u < 10 ? 0 : 5;
      int missing = base + u % 5;
      train[u] = java.util.stream.IntStream.range(base, base + 5).filter(i -> i != missing).toArray();
    }
    Interactions data = new Interactions(20, 10, train, new int[20][0]);

    ImplicitAls.Factors f = ImplicitAls.train(data, new ImplicitAls.Settings(4, 10, 0.1, 10.0, 3L), line -> { });

    for (int u = 0; u < 20; u++) {
      int missingOwn = (u < 10 ? 0 : 5) + u % 5;
      int otherGroup = u < 10 ? 7 : 2;
      assertThat(dot(f.users()[u], f.items()[missingOwn])).isGreaterThan(dot(f.users()[u], f.items()[otherGroup]));
    }
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }
}
