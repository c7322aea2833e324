package io.junction.models.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RecallAtKTest {
  @Test
  void averagesTheShareOfHeldOutItemsFoundInTheFirstK() {
    RecallAtK recall = new RecallAtK();

    recall.add(new long[] {5, 1, 9, 3}, new int[] {1, 3}, 3); // 1 of 2 within the first 3
    recall.add(new long[] {-1, 7}, new int[] {7}, 2); // padding (-1) never counts

    assertThat(recall.users()).isEqualTo(2);
    assertThat(recall.value()).isCloseTo((0.5 + 1.0) / 2, within(1e-12));
  }
}
