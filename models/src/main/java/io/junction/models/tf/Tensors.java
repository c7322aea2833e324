package io.junction.models.tf;

import java.util.Arrays;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** Copies between Java arrays and TensorFlow Java tensors; the caller closes what it gets. */
public final class Tensors {
  private Tensors() {}

  public static TFloat32 of(float[] values, long... dims) {
    return TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(values, true, false));
  }

  public static TInt64 of(long[] values, long... dims) {
    return TInt64.tensorOf(Shape.of(dims), DataBuffers.of(values, true, false));
  }

  public static TBool of(boolean[] values, long... dims) {
    return TBool.tensorOf(Shape.of(dims), DataBuffers.of(values, true, false));
  }

  public static TString of(String... values) {
    return TString.vectorOf(values);
  }

  public static float[] floats(Tensor t) {
    TFloat32 f = (TFloat32) t;
    float[] out = new float[Math.toIntExact(f.size())];
    f.read(DataBuffers.of(out, false, false));
    return out;
  }

  /** A row-major matrix of {@code width} columns, as rows. */
  public static float[][] rows(float[] flat, int width) {
    float[][] rows = new float[flat.length / width][];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = Arrays.copyOfRange(flat, r * width, (r + 1) * width);
    }
    return rows;
  }

  public static long[] longs(Tensor t) {
    TInt64 l = (TInt64) t;
    long[] out = new long[Math.toIntExact(l.size())];
    l.read(DataBuffers.of(out, false, false));
    return out;
  }
}
