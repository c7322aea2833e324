package io.junction.models.recommendation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CholeskyTest {
  @Test
  void solvesARandomSymmetricPositiveDefiniteSystem() {
    int n = 12;
    Random random = new Random(1);
    double[] m = new double[n * n];
    for (int i = 0; i < m.length; i++) {
      m[i] = random.nextGaussian();
    }
    double[] a = new double[n * n]; // M M^T + I
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < n; k++) {
          a[i * n + j] += m[i * n + k] * m[j * n + k];
        }
      }
      a[i * n + i] += 1;
    }
    double[] x = random.doubles(n).toArray();
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        b[i] += a[i * n + j] * x[j];
      }
    }

    Cholesky.solve(a.clone(), b, n);

    for (int i = 0; i < n; i++) {
      assertThat(b[i]).isCloseTo(x[i], within(1e-9));
    }
  }

  @Test
  void rejectsAMatrixThatIsNotPositiveDefinite() {
    assertThatThrownBy(() -> Cholesky.solve(new double[] {1, 2, 2, 1}, new double[] {1, 1}, 2))
        .isInstanceOf(ArithmeticException.class);
  }
}
