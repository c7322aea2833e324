package io.junction.models.recommendation;

/**
 * Solves A x = b for a symmetric positive definite A (the regularised normal equations of ALS,
 * which are SPD by construction), in place and without allocation so ALS can call it per row.
 */
final class Cholesky {
  private Cholesky() {}

  /**
   * Overwrites {@code a} (row-major n x n, lower triangle used) with its Cholesky factor and
   * {@code b} with the solution.
   */
  static void solve(double[] a, double[] b, int n) {
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int k = 0; k < j; k++) {
        d -= a[j * n + k] * a[j * n + k];
      }
      if (d <= 0) {
        throw new ArithmeticException("matrix is not positive definite (pivot " + j + ": " + d + ")");
      }
      double l = Math.sqrt(d);
      a[j * n + j] = l;
      for (int i = j + 1; i < n; i++) {
        double s = a[i * n + j];
        for (int k = 0; k < j; k++) {
          s -= a[i * n + k] * a[j * n + k];
        }
        a[i * n + j] = s / l;
      }
    }
    for (int i = 0; i < n; i++) { // L y = b
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= a[i * n + k] * b[k];
      }
      b[i] = s / a[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { // L^T x = y
      double s = b[i];
      for (int k = i + 1; k < n; k++) {
        s -= a[k * n + i] * b[k];
      }
      b[i] = s / a[i * n + i];
    }
  }
}
