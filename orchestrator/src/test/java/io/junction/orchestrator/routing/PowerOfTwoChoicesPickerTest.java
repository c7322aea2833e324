package io.junction.orchestrator.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesPickerTest {

  record Fake(String id, int inFlight) implements Candidate {}

  /** Returns scripted draws and checks each is asked with the bound the picker should use. */
  static final class ScriptedRandom implements RandomGenerator {
    private final Deque<int[]> draws = new ArrayDeque<>();

    ScriptedRandom draw(int expectedBound, int value) {
      draws.add(new int[] {expectedBound, value});
      return this;
    }

    @Override
    public int nextInt(int bound) {
      int[] d = draws.remove();
      assertThat(bound).as("bound of the draw").isEqualTo(d[0]);
      return d[1];
    }

    @Override
    public long nextLong() {
      throw new AssertionError("the picker should only draw bounded ints");
    }

    boolean exhausted() {
      return draws.isEmpty();
    }
  }

  @Test
  void noCandidatesPicksNothing() {
    assertThat(Picker.leastOutstanding(4, new SplittableRandom(1)).pick(List.<Fake>of())).isEmpty();
  }

  @Test
  void everyCandidateFullPicksNothing() {
    Picker picker = Picker.leastOutstanding(2, new SplittableRandom(1));
    assertThat(picker.pick(List.of(new Fake("a", 2), new Fake("b", 3)))).isEmpty();
  }

  @Test
  void theOnlyCandidateWithRoomIsPickedWithoutDrawing() {
    ScriptedRandom random = new ScriptedRandom();
    Picker picker = Picker.leastOutstanding(2, random);
    assertThat(picker.pick(List.of(new Fake("a", 2), new Fake("b", 1), new Fake("c", 5))))
        .map(Fake::id).hasValue("b");
  }

  @Test
  void theLessLoadedOfTheTwoDrawnWins() {
    List<Fake> candidates = List.of(new Fake("a", 7), new Fake("b", 1), new Fake("c", 3));
    // Draw a (index 0), then index 1 of the other two: c.
    ScriptedRandom random = new ScriptedRandom().draw(3, 0).draw(2, 1);
    assertThat(Picker.leastOutstanding(10, random).pick(candidates)).map(Fake::id).hasValue("c");
    assertThat(random.exhausted()).isTrue();
  }

  @Test
  void theSecondDrawSkipsTheFirstSoTheTwoAreDistinct() {
    List<Fake> candidates = List.of(new Fake("a", 5), new Fake("b", 4), new Fake("c", 0));
    // First draw c (index 2); second draw 0 of {a, b}; a must be compared with c, never c with c.
    ScriptedRandom random = new ScriptedRandom().draw(3, 2).draw(2, 1);
    assertThat(Picker.leastOutstanding(10, random).pick(candidates)).map(Fake::id).hasValue("c");
    // First draw a (0), second draw 0 of {b, c} is b: b (4) beats a (5).
    random = new ScriptedRandom().draw(3, 0).draw(2, 0);
    assertThat(Picker.leastOutstanding(10, random).pick(candidates)).map(Fake::id).hasValue("b");
  }

  @Test
  void fullCandidatesAreNotDrawn() {
    List<Fake> candidates = List.of(new Fake("a", 3), new Fake("b", 2), new Fake("c", 1));
    // With max 3, only b and c are open: the draws are over two candidates.
    ScriptedRandom random = new ScriptedRandom().draw(2, 0).draw(1, 0);
    assertThat(Picker.leastOutstanding(3, random).pick(candidates)).map(Fake::id).hasValue("c");
    assertThat(random.exhausted()).isTrue();
  }

  @Test
  void aTieGoesToTheFirstDrawn() {
    List<Fake> candidates = List.of(new Fake("a", 2), new Fake("b", 2));
    assertThat(Picker.leastOutstanding(10, new ScriptedRandom().draw(2, 1).draw(1, 0)).pick(candidates))
        .map(Fake::id).hasValue("b");
    assertThat(Picker.leastOutstanding(10, new ScriptedRandom().draw(2, 0).draw(1, 0)).pick(candidates))
        .map(Fake::id).hasValue("a");
  }

  @Test
  void theMostLoadedIsNeverPickedAndTheOthersShareTheLoad() {
    List<Fake> candidates = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      candidates.add(new Fake("r" + i, 1));
    }
    candidates.add(new Fake("busy", 9));
    Picker picker = Picker.leastOutstanding(10, new SplittableRandom(42));
    Map<String, Integer> picks = new HashMap<>();
    for (int i = 0; i < 2_000; i++) {
      picks.merge(picker.pick(candidates).orElseThrow().id(), 1, Integer::sum);
    }
    assertThat(picks).doesNotContainKey("busy");
    // Not round robin and not stuck on one: every equally loaded candidate gets a fair share.
    assertThat(picks).containsOnlyKeys("r0", "r1", "r2", "r3");
    assertThat(picks.values()).allSatisfy(n -> assertThat(n).isBetween(350, 650));
  }

  @Test
  void maxInFlightBelowOneIsRejected() {
    assertThatThrownBy(() -> Picker.leastOutstanding(0, new SplittableRandom(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlight: 0 (expected: >= 1)");
  }
}
