package io.junction.tensor;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Stacks tensors along their first (batch) dimension and cuts them back, on the raw
 * Open Inference Protocol bytes: rows are contiguous in row-major order, and BYTES elements are
 * length-prefixed in order, so stacking is concatenation and cutting is finding row boundaries.
 * Pure functions; the callers make sure the tensors agree past the first dimension.
 */
public final class TensorBatches {
  private TensorBatches() {}

  /**
   * A key that is equal for two requests exactly when their inputs can share a batch: the same
   * datatypes and the same dimensions past the first, input by input.
   */
  public static String compatibilityKey(List<Tensor> inputs) {
    StringBuilder key = new StringBuilder();
    for (Tensor t : inputs) {
      key.append(t.datatype().name());
      for (int i = 1; i < t.rank(); i++) {
        key.append(',').append(t.dim(i));
      }
      key.append(';');
    }
    return key.toString();
  }

  /** One tensor holding {@code parts}' rows in order; named and shaped as the first past dimension 0. */
  public static Tensor stack(List<Tensor> parts) {
    Tensor first = parts.get(0);
    if (parts.size() == 1) {
      return first;
    }
    long rows = 0;
    int bytes = 0;
    for (Tensor t : parts) {
      rows += t.dim(0);
      bytes += t.data().size();
    }
    ByteString.Output out = ByteString.newOutput(bytes);
    try {
      for (Tensor t : parts) {
        t.data().writeTo(out);
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    long[] shape = first.shape();
    shape[0] = rows;
    return new Tensor(first.name(), first.datatype(), shape, out.toByteString());
  }

  /**
   * Cuts {@code batched} into consecutive pieces of {@code rows[i]} rows each.
   *
   * @throws IllegalArgumentException when its first dimension is not the sum of {@code rows}
   */
  public static List<Tensor> split(Tensor batched, long[] rows) {
    long total = 0;
    for (long r : rows) {
      total += r;
    }
    if (batched.rank() == 0 || batched.dim(0) != total) {
      throw new IllegalArgumentException(batched.name() + ": shape " + Tensor.shapeString(batched.shape())
          + " (expected: first dimension " + total + ", the rows of the batch)");
    }
    if (rows.length == 1) {
      return List.of(batched);
    }
    long rowElements = total == 0 ? 0 : batched.elementCount() / total;
    List<Tensor> out = new ArrayList<>(rows.length);
    ByteString data = batched.data();
    ByteBuffer elements = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int start = 0;
    for (long r : rows) {
      int end;
      if (batched.datatype() == DataType.BYTES) {
        for (long e = 0; e < r * rowElements; e++) {
          elements.position(elements.position() + 4 + elements.getInt(elements.position()));
        }
        end = elements.position();
      } else {
        end = start + Math.toIntExact(r * rowElements * batched.datatype().byteSize());
      }
      long[] shape = batched.shape();
      shape[0] = r;
      out.add(new Tensor(batched.name(), batched.datatype(), shape, data.substring(start, end)));
      start = end;
    }
    return out;
  }
}
