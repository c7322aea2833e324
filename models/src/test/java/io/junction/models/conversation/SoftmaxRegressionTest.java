package io.junction.models.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SoftmaxRegressionTest {
  // Three classes, each marked by its own feature, plus a shared noisy feature.
  private static final float[][] X = {
      {1, 0, 0, 0.3f}, {0.9f, 0, 0, 0.1f}, {0, 1, 0, 0.2f}, {0, 0.8f, 0, 0.4f}, {0, 0, 1, 0.3f}, {0, 0, 0.9f, 0}};
  private static final int[] Y = {0, 0, 1, 1, 2, 2};
  private static final SoftmaxRegression.Settings SETTINGS = new SoftmaxRegression.Settings(300, 1.0, 1e-4);

  @Test
  void learnsSeparableClassesWithConfidentProbabilities() {
    SoftmaxRegression.Weights w = SoftmaxRegression.train(X, Y, 3, SETTINGS);

    for (int i = 0; i < X.length; i++) {
      assertThat(w.predict(X[i])).isEqualTo(Y[i]);
      assertThat(w.probabilities(X[i])[Y[i]]).isGreaterThan(0.8);
    }
    double[] uncertain = w.probabilities(new float[] {0, 0, 0, 1});
    assertThat(uncertain).hasSize(3);
    assertThat(java.util.Arrays.stream(uncertain).max().orElseThrow()).isLessThan(0.8);
  }

  @Test
  void trainingIsAPureFunctionOfItsInputs() {
    SoftmaxRegression.Weights a = SoftmaxRegression.train(X, Y, 3, SETTINGS);
    SoftmaxRegression.Weights b = SoftmaxRegression.train(X, Y, 3, SETTINGS);

    assertThat(a.weights()).containsExactly(b.weights());
    assertThat(a.bias()).containsExactly(b.bias());
  }

  @Test
  void balancedTrainingKeepsASmallClassFromBeingOutvotedByTheLargeOnesPrior() {
    // Nine rows of class 0 and one of class 1; a row that has the features of both is ambiguous.
    float[][] x = new float[10][];
    int[] y = new int[10];
    for (int i = 0; i < 9; i++) {
      x[i] = new float[] {1, 0};
    }
    x[9] = new float[] {0, 1};
    y[9] = 1;
    float[] both = {1, 1};

    double plain = SoftmaxRegression.train(x, y, 2, SETTINGS).probabilities(both)[1];
    double balanced = SoftmaxRegression.trainBalanced(x, y, 2, SETTINGS).probabilities(both)[1];

    assertThat(plain).isLessThan(0.5);
    assertThat(balanced).isGreaterThan(plain).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.05));
    // With classes of equal size, balancing changes nothing.
    assertThat(SoftmaxRegression.trainBalanced(X, Y, 3, SETTINGS).weights())
        .containsExactly(SoftmaxRegression.train(X, Y, 3, SETTINGS).weights());
  }
}
