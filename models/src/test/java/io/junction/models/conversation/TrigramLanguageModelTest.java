package io.junction.models.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrigramLanguageModelTest {
  private static final List<String> LABELS = List.of("greeting", "goodbye");
  private static final ResponseSet RESPONSES = new ResponseSet(List.of(
      new ResponseSet.Reply("greeting", List.of("Hello", "there!")),
      new ResponseSet.Reply("greeting", List.of("Hello", "friend!")),
      new ResponseSet.Reply("greeting", List.of("Hello", "there!", "Welcome.")),
      new ResponseSet.Reply("goodbye", List.of("Bye", "now."))));
  private final Vocabulary vocabulary = Vocabulary.of(RESPONSES);
  private final TrigramLanguageModel lm = TrigramLanguageModel.count(RESPONSES, LABELS, vocabulary);

  @Test
  void vocabularyStartsWithTheSpecialTokens() {
    assertThat(vocabulary.tokens().subList(0, 4)).containsExactly("<pad>", "<s>", "</s>", "<unk>");
    assertThat(vocabulary.id("Hello")).isGreaterThan(Vocabulary.UNK);
    assertThat(vocabulary.id("never-seen")).isEqualTo(Vocabulary.UNK);
  }

  @Test
  void seenContextsPreferWhatFollowedThemInThatIntent() {
    double[] first = lm.distribution(0, Vocabulary.BOS, Vocabulary.BOS);
    double[] afterHelloThere = lm.distribution(0, vocabulary.id("Hello"), vocabulary.id("there!"));

    assertThat(argMax(first)).isEqualTo(vocabulary.id("Hello"));
    assertThat(afterHelloThere[vocabulary.id("Welcome.")]).isGreaterThan(afterHelloThere[vocabulary.id("Bye")]);
    assertThat(afterHelloThere[Vocabulary.EOS]).isGreaterThan(0.2);
    assertThat(argMax(lm.distribution(1, Vocabulary.BOS, Vocabulary.BOS))).isEqualTo(vocabulary.id("Bye"));
  }

  @Test
  void everyRowIsAProbabilityDistributionThatNeverPredictsPadOrBos() {
    TrigramLanguageModel.Tables t = lm.tables();
    int v = vocabulary.size();

    assertThat(t.rows()).isEqualTo(t.trigramKeys().length + t.bigramKeys().length + LABELS.size());
    for (int row = 0; row < t.rows(); row++) {
      double sum = 0;
      for (int w = 0; w < v; w++) {
        sum += Math.exp(t.logProbs()[row * v + w]);
      }
      assertThat(sum).isCloseTo(1.0, within(1e-5));
      assertThat(t.logProbs()[row * v + Vocabulary.PAD]).isLessThan(-20f);
      assertThat(t.logProbs()[row * v + Vocabulary.BOS]).isLessThan(-20f);
    }
  }

  @Test
  void keysAreSortedForBinarySearch() {
    TrigramLanguageModel.Tables t = lm.tables();

    assertThat(t.trigramKeys()).isSorted().doesNotHaveDuplicates();
    assertThat(t.bigramKeys()).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void anUnseenContextBacksOffToTheIntentsWords() {
    double[] unseen = lm.distribution(1, vocabulary.id("Welcome."), vocabulary.id("friend!"));

    assertThat(Arrays.stream(unseen).sum()).isCloseTo(1.0, within(1e-9));
    assertThat(unseen[vocabulary.id("Bye")]).isGreaterThan(unseen[vocabulary.id("Hello")]);
  }

  private static int argMax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }
}
