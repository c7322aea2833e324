package io.junction.models.conversation;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A per-intent next-token model counted from the replies: P(w | intent, w-2, w-1) as a fixed
 * linear interpolation of trigram, bigram and unigram relative frequencies and a uniform floor.
 * When a context was never seen, its missing orders drop out and the rest are renormalised.
 *
 * <p>Every distinct context gets one precomputed row, so the exported graph only has to find the
 * row ({@link #tables}) and never does arithmetic on counts. PAD and BOS are never a next token;
 * they get a negligible floor instead of zero so that scores stay finite.
 */
public final class TrigramLanguageModel {
  static final double TRIGRAM = 0.6;
  static final double BIGRAM = 0.25;
  static final double UNIGRAM = 0.1;
  static final double UNIFORM = 0.05;
  static final double NEVER = 1e-12;

  private final int intents;
  private final int vocab;
  private final TreeMap<Long, double[]> trigramCounts = new TreeMap<>();
  private final TreeMap<Long, double[]> bigramCounts = new TreeMap<>();
  private final double[][] unigramCounts;

  /**
   * The precomputed rows. {@code logProbs} is row-major [rows][vocab]: first one row per
   * {@code trigramKeys} entry, then one per {@code bigramKeys} entry, then one per intent.
   */
  public record Tables(long[] trigramKeys, long[] bigramKeys, float[] logProbs, int rows) {}

  private TrigramLanguageModel(int intents, int vocab) {
    this.intents = intents;
    this.vocab = vocab;
    this.unigramCounts = new double[intents][vocab];
  }

  public static TrigramLanguageModel count(ResponseSet responses, List<String> labels, Vocabulary vocabulary) {
    TrigramLanguageModel m = new TrigramLanguageModel(labels.size(), vocabulary.size());
    for (ResponseSet.Reply reply : responses.replies()) {
      int intent = labels.indexOf(reply.intent());
      int[] s = new int[reply.tokens().size() + 3];
      s[0] = Vocabulary.BOS;
      s[1] = Vocabulary.BOS;
      for (int t = 0; t < reply.tokens().size(); t++) {
        s[t + 2] = vocabulary.id(reply.tokens().get(t));
      }
      s[s.length - 1] = Vocabulary.EOS;
      for (int t = 2; t < s.length; t++) {
        m.trigramCounts.computeIfAbsent(m.trigramKey(intent, s[t - 2], s[t - 1]), k -> new double[m.vocab])[s[t]]++;
        m.bigramCounts.computeIfAbsent(m.bigramKey(intent, s[t - 1]), k -> new double[m.vocab])[s[t]]++;
        m.unigramCounts[intent][s[t]]++;
      }
    }
    return m;
  }

  public long trigramKey(long intent, long previous2, long previous1) {
    return (intent * vocab + previous2) * vocab + previous1;
  }

  public long bigramKey(long intent, long previous1) {
    return intent * vocab + previous1;
  }

  public int vocabularySize() {
    return vocab;
  }

  /** The next-token distribution after {@code previous2, previous1} in a reply for {@code intent}. */
  public double[] distribution(int intent, int previous2, int previous1) {
    double[] p = new double[vocab];
    double total = 0;
    total += mix(p, trigramCounts.get(trigramKey(intent, previous2, previous1)), TRIGRAM);
    total += mix(p, bigramCounts.get(bigramKey(intent, previous1)), BIGRAM);
    total += mix(p, unigramCounts[intent], UNIGRAM);
    double uniform = UNIFORM / (vocab - 2);
    for (int w = 0; w < vocab; w++) {
      if (w != Vocabulary.PAD && w != Vocabulary.BOS) {
        p[w] += uniform;
      }
    }
    total += UNIFORM;
    double[] out = new double[vocab];
    for (int w = 0; w < vocab; w++) {
      out[w] = (1 - 2 * NEVER) * p[w] / total;
    }
    out[Vocabulary.PAD] = NEVER;
    out[Vocabulary.BOS] = NEVER;
    return out;
  }

  public Tables tables() {
    long[] trigramKeys = keys(trigramCounts);
    long[] bigramKeys = keys(bigramCounts);
    int rows = trigramKeys.length + bigramKeys.length + intents;
    float[] logProbs = new float[rows * vocab];
    int row = 0;
    for (long key : trigramKeys) {
      long intent = key / ((long) vocab * vocab);
      putRow(logProbs, row++, distribution((int) intent, (int) (key / vocab % vocab), (int) (key % vocab)));
    }
    for (long key : bigramKeys) {
      // A context seen as a bigram but not as this trigram: (intent, PAD, w-1) is never counted
      // because PAD never precedes a token, so distribution() falls back to bigram + unigram.
      putRow(logProbs, row++, distribution((int) (key / vocab), Vocabulary.PAD, (int) (key % vocab)));
    }
    for (int intent = 0; intent < intents; intent++) {
      putRow(logProbs, row++, distribution(intent, Vocabulary.PAD, Vocabulary.PAD));
    }
    return new Tables(trigramKeys, bigramKeys, logProbs, rows);
  }

  private static double mix(double[] p, double[] counts, double weight) {
    if (counts == null) {
      return 0;
    }
    double sum = Arrays.stream(counts).sum();
    for (int w = 0; w < counts.length; w++) {
      p[w] += weight * counts[w] / sum;
    }
    return weight;
  }

  private void putRow(float[] table, int row, double[] distribution) {
    for (int w = 0; w < vocab; w++) {
      table[row * vocab + w] = (float) Math.log(distribution[w]);
    }
  }

  private static long[] keys(Map<Long, double[]> counts) {
    return counts.keySet().stream().mapToLong(Long::longValue).toArray();
  }
}
