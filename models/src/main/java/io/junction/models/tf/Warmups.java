package io.junction.models.tf;

import io.junction.tensor.Tensor;
import io.junction.workers.repository.WarmupSample;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The warm-up samples the kit writes into every model.yaml: the same real inputs at one row, as
 * a lone request sends, and at {@link #BATCH} rows, as concurrent requests batched together do,
 * so that both shapes are warm when the worker reports ready.
 */
public final class Warmups {
  /** Rows of the larger sample. */
  public static final int BATCH = 8;

  private Warmups() {}

  /**
   * Two samples, {@code single} and {@code batch_8}, from {@code firstRows}: given n, the model's
   * inputs holding the first n of {@link #BATCH} real rows.
   */
  public static List<WarmupSample> of(IntFunction<List<Tensor>> firstRows) {
    return List.of(new WarmupSample("single", firstRows.apply(1)),
        new WarmupSample("batch_" + BATCH, firstRows.apply(BATCH)));
  }

  /** The first {@code n} rows of {@code rows}, flattened row-major. */
  public static float[] flatten(float[][] rows, int n) {
    return copyRows(rows, n, new float[n * rows[0].length], rows[0].length);
  }

  /** The first {@code n} rows of {@code rows}, flattened row-major. */
  public static long[] flatten(long[][] rows, int n) {
    return copyRows(rows, n, new long[n * rows[0].length], rows[0].length);
  }

  /** Copies rows (primitive arrays of {@code width}) one after the other into {@code out}. */
  private static <T> T copyRows(Object[] rows, int n, T out, int width) {
    for (int i = 0; i < n; i++) {
      System.arraycopy(rows[i], 0, out, i * width, width);
    }
    return out;
  }
}
