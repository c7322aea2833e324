package io.junction.models.recommendation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InteractionGeneratorTest {
  private static final InteractionGenerator.Settings SMALL =
      new InteractionGenerator.Settings(300, 200, 8, 4.0, 0.8, 10, 10, 0.2, 5L);

  @Test
  void sameSeedSameLog() {
    Interactions a = InteractionGenerator.generate(SMALL);
    Interactions b = InteractionGenerator.generate(SMALL);

    assertThat(a.train()).isDeepEqualTo(b.train());
    assertThat(a.heldOut()).isDeepEqualTo(b.heldOut());
  }

  @Test
  void heldOutIsAboutTheLastFifthAndNeverRepeatsTraining() {
    Interactions data = InteractionGenerator.generate(SMALL);

    double share = (double) data.heldOutSize() / (data.trainSize() + data.heldOutSize());
    assertThat(share).isBetween(0.17, 0.23);
    for (int u = 0; u < data.users(); u++) {
      assertThat(data.train()[u]).isSorted();
      for (int item : data.heldOut()[u]) {
        assertThat(data.seenInTrain(u, item)).isFalse();
      }
    }
  }

  @Test
  void popularityIsLongTailed() {
    Interactions data = InteractionGenerator.generate(SMALL);
    int[] counts = data.trainCounts();
    int[] sorted = Arrays.stream(counts).boxed().sorted((x, y) -> y - x).mapToInt(Integer::intValue).toArray();

    // Under uniform popularity the top tenth of items would hold about a tenth of interactions.
    int top10Percent = Arrays.stream(sorted, 0, sorted.length / 10).sum();
    assertThat((double) top10Percent / data.trainSize()).isGreaterThan(0.2);
  }
}
