package io.junction.models.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class UtteranceSetTest {
  private final UtteranceSet data = UtteranceSet.load(17);

  @Test
  void everyIntentHasFortyToSixtyTrainingAndSomeHeldOutUtterances() {
    Map<String, Long> train = data.train().stream().collect(Collectors.groupingBy(Utterance::intent, Collectors.counting()));
    Map<String, Long> heldOut = data.heldOut().stream().collect(Collectors.groupingBy(Utterance::intent, Collectors.counting()));

    assertThat(data.labels()).hasSizeBetween(8, 10).isSorted().contains("book_flight", "greeting", "weather");
    assertThat(train.keySet()).containsExactlyInAnyOrderElementsOf(data.labels());
    assertThat(train.values()).allMatch(n -> n >= 40 && n <= 60);
    assertThat(heldOut.keySet()).containsExactlyInAnyOrderElementsOf(data.labels());
    assertThat(heldOut.values()).allMatch(n -> n >= 10);
  }

  @Test
  void heldOutUtterancesNeverAppearInTraining() {
    Function<String, String> normal = t -> t.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", " ").strip();
    Set<String> train = data.train().stream().map(u -> normal.apply(u.text())).collect(Collectors.toSet());

    assertThat(data.heldOut()).noneMatch(u -> train.contains(normal.apply(u.text())));
  }

  @Test
  void slotsAreFilledTheSameWayForTheSameSeed() {
    assertThat(UtteranceSet.load(17)).isEqualTo(data);
    assertThat(UtteranceSet.load(18).train()).isNotEqualTo(data.train());
    assertThat(data.train()).noneMatch(u -> u.text().contains("{") || u.text().contains("}"));
  }

  @Test
  void followUpsFollowKnownIntentsAndTheHeldOutOnesAreNeverTrainedOn() {
    Function<String, String> normal = t -> t.toLowerCase(Locale.ROOT).replaceAll("'", "")
        .replaceAll("[^a-z0-9]+", " ").strip();
    Set<String> trained = data.followUpTrain().stream().map(f -> normal.apply(f.text())).collect(Collectors.toSet());
    data.train().forEach(u -> trained.add(normal.apply(u.text())));

    assertThat(data.followUpTrain()).hasSizeGreaterThanOrEqualTo(80);
    assertThat(data.followUpHeldOut()).hasSizeGreaterThanOrEqualTo(50)
        .noneMatch(f -> trained.contains(normal.apply(f.text())));
    assertThat(data.followUpHeldOut()).extracting(FollowUp::previousIntent).isSubsetOf(data.labels());
    assertThat(data.followUpTrain()).extracting(FollowUp::previousIntent).isSubsetOf(data.labels());
    assertThat(data.followUpHeldOut()).extracting(FollowUp::text).noneMatch(t -> t.contains("{"));
    assertThat(data.labels()).doesNotContain(UtteranceSet.FOLLOW_UP);
  }
}
