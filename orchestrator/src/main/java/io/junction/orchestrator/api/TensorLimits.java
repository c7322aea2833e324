package io.junction.orchestrator.api;

import com.google.protobuf.ByteString;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The config's tensor limits, checked on a request's input headers and contents before anything
 * is decoded or run: elements per tensor, the first (batch) dimension, and the bytes of one
 * BYTES element. A tensor beyond a limit is INVALID_ARGUMENT naming the limit and its config key.
 * What the limits do not cover (datatypes, contents against the shape) stays the codec's.
 */
final class TensorLimits {
  /** Shapes of more dimensions are shown by their rank only, so that a message stays short. */
  private static final int SHOWN_RANK = 16;

  private final ApiLimits limits;

  TensorLimits(ApiLimits limits) {
    this.limits = limits;
  }

  /**
   * Checks every input; {@code raw} is empty or pairs with {@code inputs} (a count that does not
   * is the codec's error, so raw contents are then not looked at).
   *
   * @throws InvalidRequestException for the first input beyond a limit, or with a negative dimension
   */
  void check(List<InferInputTensor> inputs, List<ByteString> raw) {
    for (int i = 0; i < inputs.size(); i++) {
      InferInputTensor in = inputs.get(i);
      String label = in.getName().isEmpty() ? "inputs[" + i + "]" : in.getName();
      checkShape(label, in.getShapeList());
      if (DataType.BYTES.name().equals(in.getDatatype())) {
        if (raw.size() == inputs.size()) {
          checkRawStrings(label, raw.get(i));
        } else if (in.hasContents()) {
          List<ByteString> strings = in.getContents().getBytesContentsList();
          for (int e = 0; e < strings.size(); e++) {
            checkString(label, e, strings.get(e).size());
          }
        }
      }
    }
  }

  private void checkShape(String label, List<Long> shape) {
    for (int d = 0; d < shape.size(); d++) {
      if (shape.get(d) < 0) {
        throw new InvalidRequestException(label + ".shape[" + d + "]: " + shape.get(d)
            + " (expected: >= 0 in a concrete tensor)");
      }
    }
    if (!shape.isEmpty() && shape.get(0) > limits.maxBatchSize()) {
      throw new InvalidRequestException(label + ".shape[0]: " + shape.get(0) + " (expected: <= " + limits.maxBatchSize()
          + ", the batch size; limits.max_batch_size in the config)");
    }
    long elements = elements(shape);
    if (elements > limits.maxTensorElements()) {
      throw new InvalidRequestException(label + ": " + (elements == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE
          : Long.toString(elements)) + " elements in shape " + shown(shape) + " (expected: <= "
          + limits.maxTensorElements() + " elements; limits.max_tensor_elements in the config)");
    }
  }

  /** The product of non-negative dimensions, Long.MAX_VALUE when it overflows (0 when any is 0). */
  private static long elements(List<Long> shape) {
    if (shape.contains(0L)) {
      return 0;
    }
    long product = 1;
    for (long d : shape) {
      if (product > Long.MAX_VALUE / d) {
        return Long.MAX_VALUE;
      }
      product *= d;
    }
    return product;
  }

  /**
   * Reads the 4-byte little-endian length of each element; stops at contents that do not parse,
   * which the codec then refuses with its own message.
   */
  private void checkRawStrings(String label, ByteString raw) {
    var buf = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int e = 0; buf.remaining() >= 4; e++) {
      int length = buf.getInt();
      if (length < 0 || length > buf.remaining()) {
        return;
      }
      checkString(label, e, length);
      buf.position(buf.position() + length);
    }
  }

  private void checkString(String label, int element, long bytes) {
    if (bytes > limits.maxStringBytes()) {
      throw new InvalidRequestException(label + "[" + element + "]: " + bytes + " bytes (expected: <= "
          + limits.maxStringBytes() + " bytes in one BYTES element; limits.max_string_bytes in the config)");
    }
  }

  private static String shown(List<Long> shape) {
    return shape.size() > SHOWN_RANK ? "of rank " + shape.size()
        : Tensor.shapeString(shape.stream().mapToLong(Long::longValue).toArray());
  }
}
