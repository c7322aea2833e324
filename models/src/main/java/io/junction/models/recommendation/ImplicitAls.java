package io.junction.models.recommendation;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Matrix factorisation of implicit feedback by alternating least squares (Hu, Koren and Volinsky,
 * 2008): every (user, item) cell is a target, 1 for an interaction with confidence 1 + alpha and
 * 0 otherwise with confidence 1, so the model also learns what users did not pick.
 *
 * <p>Each half-step solves one small D x D system per row with the shared Gram matrix trick. Rows
 * are independent, so they run in parallel with results identical to a sequential run.
 */
public final class ImplicitAls {
  /** Hyper-parameters; {@link #DEFAULT} is the kit's. */
  public record Settings(int dim, int iterations, double regularization, double alpha, long seed) {
    public static final Settings DEFAULT = new Settings(32, 12, 5.0, 8.0, 7L);
  }

  /** Learnt factors: row {@code u} of {@code users} is user u's embedding, likewise for items. */
  public record Factors(float[][] users, float[][] items, int dim) {}

  private ImplicitAls() {}

  public static Factors train(Interactions data, Settings s, Consumer<String> progress) {
    Random random = new Random(s.seed());
    double[][] x = init(random, data.users(), s.dim());
    double[][] y = init(random, data.items(), s.dim());
    int[][] itemUsers = transpose(data.train(), data.items());
    for (int it = 1; it <= s.iterations(); it++) {
      solveAll(x, y, data.train(), s);
      solveAll(y, x, itemUsers, s);
      if (it == 1 || it % 4 == 0 || it == s.iterations()) {
        progress.accept(String.format("  ALS iteration %d/%d", it, s.iterations()));
      }
    }
    return new Factors(toFloat(x), toFloat(y), s.dim());
  }

  /** Recomputes every row of {@code target} with {@code fixed} held constant. */
  private static void solveAll(double[][] target, double[][] fixed, int[][] rows, Settings s) {
    int d = s.dim();
    double[] gram = new double[d * d];
    for (double[] f : fixed) {
      for (int a = 0; a < d; a++) {
        for (int b = 0; b < d; b++) {
          gram[a * d + b] += f[a] * f[b];
        }
      }
    }
    IntStream.range(0, target.length).parallel().forEach(r -> {
      double[] a = gram.clone();
      double[] rhs = new double[d];
      for (int k = 0; k < d; k++) {
        a[k * d + k] += s.regularization();
      }
      for (int j : rows[r]) {
        double[] f = fixed[j];
        for (int p = 0; p < d; p++) {
          double fp = s.alpha() * f[p];
          for (int q = 0; q < d; q++) {
            a[p * d + q] += fp * f[q];
          }
          rhs[p] += (1 + s.alpha()) * f[p];
        }
      }
      Cholesky.solve(a, rhs, d);
      target[r] = rhs;
    });
  }

  private static int[][] transpose(int[][] rows, int columns) {
    List<List<Integer>> cols = new ArrayList<>();
    for (int c = 0; c < columns; c++) {
      cols.add(new ArrayList<>());
    }
    for (int r = 0; r < rows.length; r++) {
      for (int c : rows[r]) {
        cols.get(c).add(r);
      }
    }
    return cols.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
  }

  private static double[][] init(Random random, int rows, int d) {
    double[][] m = new double[rows][d];
    for (double[] row : m) {
      for (int k = 0; k < d; k++) {
        row[k] = random.nextGaussian() * 0.1;
      }
    }
    return m;
  }

  private static float[][] toFloat(double[][] m) {
    float[][] f = new float[m.length][];
    for (int r = 0; r < m.length; r++) {
      f[r] = new float[m[r].length];
      for (int k = 0; k < m[r].length; k++) {
        f[r][k] = (float) m[r][k];
      }
    }
    return f;
  }
}
