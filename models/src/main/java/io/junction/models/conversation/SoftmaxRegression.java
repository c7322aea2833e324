package io.junction.models.conversation;

/**
 * Multinomial logistic regression trained by full-batch gradient descent with L2 weight decay.
 *
 * <p>Full batch, zero initial weights and a fixed number of epochs make training a pure function
 * of its inputs: the same features give bit-identical weights on every build. The features are
 * sparse (a short utterance hashes to a few dozen buckets), so the gradient only visits non-zero
 * entries.
 */
public final class SoftmaxRegression {
  /** Hyper-parameters; {@link #DEFAULT} is what the kit uses. */
  public record Settings(int epochs, double learningRate, double l2) {
    public static final Settings DEFAULT = new Settings(600, 2.0, 1e-4);
  }

  /** Trained parameters: {@code weights} row-major [features][classes]. */
  public record Weights(float[] weights, float[] bias, int features, int classes) {
    public double[] probabilities(float[] x) {
      double[] logits = new double[classes];
      for (int c = 0; c < classes; c++) {
        logits[c] = bias[c];
      }
      for (int f = 0; f < features; f++) {
        if (x[f] != 0f) {
          for (int c = 0; c < classes; c++) {
            logits[c] += x[f] * weights[f * classes + c];
          }
        }
      }
      return softmax(logits);
    }

    public int predict(float[] x) {
      return argMax(probabilities(x));
    }
  }

  private SoftmaxRegression() {}

  public static Weights train(float[][] x, int[] y, int classes, Settings settings) {
    double[] weight = new double[x.length];
    java.util.Arrays.fill(weight, 1.0);
    return train(x, y, classes, settings, weight);
  }

  /**
   * Trains with every class weighing the same in the loss whatever its number of rows (each row
   * weighs n / (classes x rows of its class)), so that a small class is not outvoted by the prior
   * of a large one: for a two-way decision between a small class and everything else.
   */
  public static Weights trainBalanced(float[][] x, int[] y, int classes, Settings settings) {
    int[] count = new int[classes];
    for (int label : y) {
      count[label]++;
    }
    double[] weight = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      weight[i] = (double) x.length / (classes * count[y[i]]);
    }
    return train(x, y, classes, settings, weight);
  }

  private static Weights train(float[][] x, int[] y, int classes, Settings settings, double[] weight) {
    int n = x.length;
    double total = 0;
    for (double w : weight) {
      total += w;
    }
    int features = x[0].length;
    int[][] index = new int[n][];
    float[][] value = new float[n][];
    for (int i = 0; i < n; i++) {
      int nonZero = 0;
      for (float v : x[i]) {
        nonZero += v != 0f ? 1 : 0;
      }
      index[i] = new int[nonZero];
      value[i] = new float[nonZero];
      for (int f = 0, k = 0; f < features; f++) {
        if (x[i][f] != 0f) {
          index[i][k] = f;
          value[i][k++] = x[i][f];
        }
      }
    }
    double[] w = new double[features * classes];
    double[] b = new double[classes];
    double[] gradW = new double[w.length];
    double[] gradB = new double[classes];
    double[] logits = new double[classes];
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      java.util.Arrays.fill(gradW, 0);
      java.util.Arrays.fill(gradB, 0);
      for (int i = 0; i < n; i++) {
        System.arraycopy(b, 0, logits, 0, classes);
        for (int k = 0; k < index[i].length; k++) {
          int row = index[i][k] * classes;
          for (int c = 0; c < classes; c++) {
            logits[c] += value[i][k] * w[row + c];
          }
        }
        double[] p = softmax(logits);
        p[y[i]] -= 1; // d(cross-entropy)/d(logits)
        for (int c = 0; c < classes; c++) {
          gradB[c] += p[c] * weight[i] / total;
        }
        for (int k = 0; k < index[i].length; k++) {
          int row = index[i][k] * classes;
          for (int c = 0; c < classes; c++) {
            gradW[row + c] += value[i][k] * p[c] * weight[i] / total;
          }
        }
      }
      for (int j = 0; j < w.length; j++) {
        w[j] -= settings.learningRate() * (gradW[j] + settings.l2() * w[j]);
      }
      for (int c = 0; c < classes; c++) {
        b[c] -= settings.learningRate() * gradB[c];
      }
    }
    float[] wf = new float[w.length];
    for (int j = 0; j < w.length; j++) {
      wf[j] = (float) w[j];
    }
    float[] bf = new float[classes];
    for (int c = 0; c < classes; c++) {
      bf[c] = (float) b[c];
    }
    return new Weights(wf, bf, features, classes);
  }

  static double[] softmax(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    double[] p = new double[logits.length];
    for (int c = 0; c < p.length; c++) {
      p[c] = Math.exp(logits[c] - max);
      sum += p[c];
    }
    for (int c = 0; c < p.length; c++) {
      p[c] /= sum;
    }
    return p;
  }

  static int argMax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
