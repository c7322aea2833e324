package io.junction.models.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.models.ModelKit;
import io.junction.models.quality.SavedModelRunner;
import io.junction.models.tf.TensorFlowRuntime;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported responder's choice of the next token, run as a worker runs it: greedy at
 * temperature 0, and otherwise a draw that depends on the row's seed and iteration only.
 */
class ResponderSamplingTest {
  @TempDir
  static Path out;

  static SavedModelRunner responder;
  static int intents;

  @BeforeAll
  static void build() {
    TensorFlowRuntime.start();
    ConversationKit.Built built = ConversationKit.build(ModelRepository.open(out), ModelKit.UTTERANCE_SLOT_SEED, line -> { });
    intents = built.utterances().labels().size();
    responder = SavedModelRunner.open(ModelRepository.open(out), ResponderModel.NAME);
  }

  @AfterAll
  static void close() {
    responder.close();
  }

  /** One row per element of the arrays; every row starts a reply (context [BOS, BOS]). */
  private static Map<String, Tensor> run(long[] intent, float[] temperature, int[] topK, long[] seed, long[] iteration) {
    int n = intent.length;
    long[] context = new long[2 * n];
    java.util.Arrays.fill(context, Vocabulary.BOS);
    return responder.run(Tensor.ofLongs("intent_id", new long[] {n}, intent),
        Tensor.ofLongs("context", new long[] {n, 2}, context),
        Tensor.ofFloats("temperature", new long[] {n}, temperature),
        Tensor.ofInts("top_k", new long[] {n}, topK),
        Tensor.ofLongs("seed", new long[] {n}, seed),
        Tensor.ofLongs("iteration", new long[] {n}, iteration));
  }

  private static long one(long intent, float temperature, int topK, long seed, long iteration) {
    return run(new long[] {intent}, new float[] {temperature}, new int[] {topK}, new long[] {seed},
        new long[] {iteration}).get("next_id").longs()[0];
  }

  private static long argmax(float[] scores, int row, int v) {
    int best = 0;
    for (int j = 1; j < v; j++) {
      if (scores[row * v + j] > scores[row * v + best]) {
        best = j;
      }
    }
    return best;
  }

  @Test
  void temperatureZeroIsTheArgmaxWhateverTheSeed() {
    for (int intent = 0; intent < intents; intent++) {
      Map<String, Tensor> answer = run(new long[] {intent, intent}, new float[] {0f, -1f}, new int[] {0, 3},
          new long[] {1, 99}, new long[] {0, 5});
      float[] scores = answer.get("scores").floats();
      int v = (int) answer.get("scores").dim(1);
      assertThat(answer.get("next_id").longs()).as("intent %d", intent)
          .containsExactly(argmax(scores, 0, v), argmax(scores, 1, v));
    }
  }

  @Test
  void aRowsDrawDependsOnItsSeedAndIterationNotOnItsBatch() {
    long alone = one(0, 1.5f, 0, 42, 3);
    long[] batched = run(new long[] {1, 0, 2}, new float[] {0.7f, 1.5f, 0f}, new int[] {2, 0, 0},
        new long[] {7, 42, 9}, new long[] {0, 3, 1}).get("next_id").longs();

    assertThat(batched[1]).isEqualTo(alone);
    assertThat(one(0, 1.5f, 0, 42, 3)).isEqualTo(alone);
  }

  @Test
  void differentSeedsOrIterationsDrawDifferentTokens() {
    Set<Long> bySeed = new HashSet<>();
    Set<Long> byIteration = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      bySeed.add(one(0, 2f, 0, i, 0));
      byIteration.add(one(0, 2f, 0, 5, i));
    }
    assertThat(bySeed).hasSizeGreaterThan(1);
    assertThat(byIteration).hasSizeGreaterThan(1);
  }

  @Test
  void topKKeepsOnlyTheKBestTokens() {
    Map<String, Tensor> first = run(new long[] {0}, new float[] {0f}, new int[] {0}, new long[] {0}, new long[] {0});
    float[] scores = first.get("scores").floats();
    float[] sorted = scores.clone();
    java.util.Arrays.sort(sorted);
    float third = sorted[sorted.length - 3];
    float best = sorted[sorted.length - 1];
    for (int seed = 0; seed < 20; seed++) {
      // ties with the k-th best are kept, so top_k 1 may pick any of the best tokens
      assertThat(scores[(int) one(0, 2f, 1, seed, 0)]).as("top_k 1, seed %d", seed).isEqualTo(best);
      assertThat(scores[(int) one(0, 2f, 3, seed, 0)]).as("top_k 3, seed %d", seed).isGreaterThanOrEqualTo(third);
    }
  }
}
