package io.junction.workers.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Converts between our {@link Tensor} and DJL's {@link NDArray}. Only the datatypes TensorFlow
 * models of this project use are converted; anything else is refused by name, never guessed.
 *
 * <p>Numbers cross as bytes: a tensor's raw little-endian data is TensorFlow's own layout on a
 * little-endian machine, so it is handed to the engine as it is (one copy, into the engine's
 * buffer) and read back the same way, instead of decoding to a Java array and encoding again.
 */
final class NdTensors {
  static final Set<DataType> SUPPORTED = EnumSet.of(
      DataType.FP32, DataType.FP64, DataType.INT32, DataType.INT64, DataType.BYTES);
  /** Our raw form is little-endian; the engine's buffers are in the machine's order. */
  private static final boolean RAW_IS_NATIVE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private NdTensors() {}

  static String supportedNames() {
    return String.join(", ", SUPPORTED.stream().map(Enum::name).toList());
  }

  /** An NDArray named after the tensor, owned by {@code manager}. */
  static NDArray toNd(NDManager manager, Tensor t) {
    Shape shape = new Shape(t.shape());
    NDArray nd = RAW_IS_NATIVE && t.datatype() != DataType.BYTES && SUPPORTED.contains(t.datatype())
        ? manager.create(t.data().asReadOnlyByteBuffer(), shape, engineType(t.datatype()))
        : decoded(manager, t, shape);
    nd.setName(t.name());
    return nd;
  }

  private static ai.djl.ndarray.types.DataType engineType(DataType t) {
    return switch (t) {
      case FP32 -> ai.djl.ndarray.types.DataType.FLOAT32;
      case FP64 -> ai.djl.ndarray.types.DataType.FLOAT64;
      case INT32 -> ai.djl.ndarray.types.DataType.INT32;
      case INT64 -> ai.djl.ndarray.types.DataType.INT64;
      default -> throw new AssertionError(t);
    };
  }

  private static NDArray decoded(NDManager manager, Tensor t, Shape shape) {
    return switch (t.datatype()) {
      case FP32 -> manager.create(t.floats(), shape);
      case FP64 -> manager.create(t.doubles(), shape);
      case INT32 -> manager.create(t.ints(), shape);
      case INT64 -> manager.create(t.longs(), shape);
      case BYTES -> manager.create(utf8(t), StandardCharsets.UTF_8, shape);
      default -> throw new UnsupportedDatatypeException(
          t.name() + ".datatype: " + t.datatype() + " (expected: one of " + supportedNames() + ")");
    };
  }

  /** The tensor an NDArray holds, named {@code name}; its datatype must be {@code expected}. */
  static Tensor fromNd(String name, NDArray nd, DataType expected) {
    long[] shape = nd.getShape().getShape();
    DataType actual = switch (nd.getDataType()) {
      case FLOAT32 -> DataType.FP32;
      case FLOAT64 -> DataType.FP64;
      case INT32 -> DataType.INT32;
      case INT64 -> DataType.INT64;
      case STRING -> DataType.BYTES;
      default -> null;
    };
    if (actual == null || actual != expected) {
      throw new ModelExecutionException("output " + name + ": the model returned " + nd.getDataType()
          + " (expected: " + expected + " as model.yaml declares)");
    }
    if (RAW_IS_NATIVE && actual != DataType.BYTES) {
      return new Tensor(name, actual, shape, ByteString.copyFrom(nd.toByteBuffer()));
    }
    return switch (actual) {
      case FP32 -> Tensor.ofFloats(name, shape, nd.toFloatArray());
      case FP64 -> Tensor.ofDoubles(name, shape, nd.toDoubleArray());
      case INT32 -> Tensor.ofInts(name, shape, nd.toIntArray());
      case INT64 -> Tensor.ofLongs(name, shape, nd.toLongArray());
      case BYTES -> Tensor.ofStrings(name, shape, Arrays.asList(nd.toStringArray(StandardCharsets.UTF_8)));
      default -> throw new AssertionError(actual);
    };
  }

  /**
   * The elements of a BYTES tensor as strings. DJL's string tensors are built from Java strings,
   * so bytes that are not UTF-8 are refused rather than silently replaced.
   */
  private static String[] utf8(Tensor t) {
    List<byte[]> elements = t.byteElements();
    String[] out = new String[elements.size()];
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int i = 0; i < out.length; i++) {
      try {
        out[i] = decoder.decode(ByteBuffer.wrap(elements.get(i))).toString();
      } catch (CharacterCodingException e) {
        throw new UnsupportedDatatypeException(
            t.name() + "[" + i + "]: bytes that are not UTF-8 (expected: UTF-8 text)");
      }
    }
    return out;
  }
}
