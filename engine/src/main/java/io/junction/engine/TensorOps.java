package io.junction.engine;

import com.google.protobuf.ByteString;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few value-level operations the engine does itself: concatenation (merge steps, loop
 * collection), reading a one-element value as text (switches, loop stop conditions) and
 * building a loop's feedback window. Works on the raw little-endian form without decoding.
 */
final class TensorOps {
  private TensorOps() {}

  /**
   * Concatenates tensors of one datatype and rank along {@code axis}. Every other dimension
   * must agree: the compiler checked the known ones, so a mismatch here is a model answering
   * against its own signature.
   *
   * @param emptyShape the shape of the result when {@code parts} is empty (a loop that
   *                   collected nothing)
   */
  static Tensor concat(String name, DataType type, List<Tensor> parts, int axis, long[] emptyShape) {
    if (parts.isEmpty()) {
      return new Tensor(name, type, emptyShape, ByteString.EMPTY);
    }
    long[] shape = parts.get(0).shape();
    for (int i = 1; i < parts.size(); i++) {
      long[] s = parts.get(i).shape();
      if (s.length != shape.length || parts.get(i).datatype() != type) {
        throw new IllegalStateException(name + ": cannot concatenate " + parts.get(0) + " and " + parts.get(i));
      }
      for (int d = 0; d < s.length; d++) {
        if (d != axis && s[d] != shape[d]) {
          throw new IllegalStateException(name + ": cannot concatenate " + parts.get(0) + " and " + parts.get(i)
              + " along axis " + axis + " (dimension " + d + " differs)");
        }
      }
    }
    long outer = 1;
    for (int d = 0; d < axis; d++) {
      outer *= shape[d];
    }
    long[] out = shape.clone();
    out[axis] = 0;
    for (Tensor t : parts) {
      out[axis] += t.dim(axis);
    }
    if (type.isFixedSize()) {
      // Each part is `outer` rows of (dim(axis) * inner * size) bytes; interleave the rows.
      long[] rowBytes = new long[parts.size()];
      for (int i = 0; i < parts.size(); i++) {
        rowBytes[i] = outer == 0 ? 0 : parts.get(i).data().size() / outer;
      }
      List<ByteString> pieces = new ArrayList<>();
      for (long r = 0; r < outer; r++) {
        for (int i = 0; i < parts.size(); i++) {
          long from = r * rowBytes[i];
          pieces.add(parts.get(i).data().substring((int) from, (int) (from + rowBytes[i])));
        }
      }
      return new Tensor(name, type, out, ByteString.copyFrom(pieces));
    }
    List<List<byte[]>> elements = new ArrayList<>();
    for (Tensor t : parts) {
      elements.add(t.byteElements());
    }
    List<byte[]> joined = new ArrayList<>();
    for (long r = 0; r < outer; r++) {
      for (int i = 0; i < parts.size(); i++) {
        int perRow = outer == 0 ? 0 : (int) (elements.get(i).size() / outer);
        joined.addAll(elements.get(i).subList((int) (r * perRow), (int) ((r + 1) * perRow)));
      }
    }
    return Tensor.ofByteElements(name, out, joined);
  }

  /** The first element as text: an integer in decimal, BYTES as UTF-8. */
  static String firstAsText(Tensor t) {
    if (t.datatype() == DataType.BYTES) {
      return new String(t.byteElements().get(0), StandardCharsets.UTF_8);
    }
    return Long.toString(t.integerValues()[0]);
  }

  /** A [1, window] integer tensor of {@code type} holding {@code values}. */
  static Tensor window(String name, DataType type, long[] values) {
    long[] shape = {1, values.length};
    return switch (type) {
      case INT64, UINT64 -> retype(Tensor.ofLongs(name, shape, values), type);
      case INT32, UINT32 -> {
        int[] v = new int[values.length];
        for (int i = 0; i < v.length; i++) {
          v[i] = (int) values[i];
        }
        yield retype(Tensor.ofInts(name, shape, v), type);
      }
      default -> {
        int size = type.byteSize();
        byte[] raw = new byte[values.length * size];
        for (int i = 0; i < values.length; i++) {
          for (int b = 0; b < size; b++) {
            raw[i * size + b] = (byte) (values[i] >>> (8 * b));
          }
        }
        yield new Tensor(name, type, shape, ByteString.copyFrom(raw));
      }
    };
  }

  private static Tensor retype(Tensor t, DataType type) {
    return t.datatype() == type ? t : new Tensor(t.name(), type, t.shape(), t.data());
  }

  /** A loop's iteration number for a model input of {@code spec} (INT32 or INT64, [1] or [1, 1]). */
  static Tensor counter(TensorSpec spec, int iteration) {
    long[] shape = spec.shape().size() == 1 ? new long[] {1} : new long[] {1, 1};
    return spec.datatype() == DataType.INT32
        ? Tensor.ofInts(spec.name(), shape, iteration) : Tensor.ofLongs(spec.name(), shape, iteration);
  }
}
