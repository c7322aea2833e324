package io.junction.tensor;

import com.google.protobuf.ByteString;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Converts between the Open Inference Protocol's tensor messages and {@link Tensor}.
 * Typed contents are encoded to raw form once, at the edge; raw contents pass through as
 * they are. Every check a client's tensor needs (datatype, dimensions, contents against the
 * shape, raw and typed not mixed, names unique) is made here and fails with a
 * {@link TensorFormatException} that names the tensor and what was expected.
 */
public final class TensorCodec {
  private TensorCodec() {}

  /** Decodes request inputs; {@code raw} is empty or has one entry per input. */
  public static List<Tensor> fromInputs(List<ModelInferRequest.InferInputTensor> inputs, List<ByteString> raw) {
    if (!raw.isEmpty() && raw.size() != inputs.size()) {
      throw new TensorFormatException(
          "raw_input_contents: " + raw.size() + " entries (expected: one per input, " + inputs.size() + ")");
    }
    List<Tensor> out = new ArrayList<>(inputs.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      ModelInferRequest.InferInputTensor in = inputs.get(i);
      String label = in.getName().isEmpty() ? "inputs[" + i + "]" : in.getName();
      if (in.getName().isEmpty()) {
        throw new TensorFormatException("inputs[" + i + "].name: empty (expected: the input's name)");
      }
      if (!seen.add(in.getName())) {
        throw new TensorFormatException(label + ": given twice (expected: each input once)");
      }
      if (!raw.isEmpty() && in.hasContents() && hasAnyContents(in.getContents())) {
        throw new TensorFormatException(
            label + ": both contents and raw_input_contents (expected: one of them)");
      }
      out.add(decode(label, in.getDatatype(), toArray(in.getShapeList()),
          in.hasContents() ? in.getContents() : null, raw.isEmpty() ? null : raw.get(i)));
    }
    return out;
  }

  /** Decodes response outputs; {@code raw} is empty or has one entry per output. */
  public static List<Tensor> fromOutputs(List<ModelInferResponse.InferOutputTensor> outputs, List<ByteString> raw) {
    if (!raw.isEmpty() && raw.size() != outputs.size()) {
      throw new TensorFormatException(
          "raw_output_contents: " + raw.size() + " entries (expected: one per output, " + outputs.size() + ")");
    }
    List<Tensor> out = new ArrayList<>(outputs.size());
    for (int i = 0; i < outputs.size(); i++) {
      ModelInferResponse.InferOutputTensor o = outputs.get(i);
      out.add(decode(o.getName(), o.getDatatype(), toArray(o.getShapeList()),
          o.hasContents() ? o.getContents() : null, raw.isEmpty() ? null : raw.get(i)));
    }
    return out;
  }

  private static Tensor decode(String name, String datatypeName, long[] shape, InferTensorContents contents, ByteString raw) {
    DataType type = DataType.fromName(datatypeName).orElseThrow(() -> new TensorFormatException(
        name + ".datatype: \"" + datatypeName + "\" (expected: one of " + DataType.names() + ")"));
    long count = Tensor.elementCount(name, shape);
    if (raw != null) {
      return new Tensor(name, type, shape, raw);
    }
    if (contents == null) {
      contents = InferTensorContents.getDefaultInstance();
    }
    return new Tensor(name, type, shape, encodeContents(name, type, count, contents));
  }

  private static ByteString encodeContents(String name, DataType type, long count, InferTensorContents c) {
    int n = (int) count;
    switch (type) {
      case BYTES -> {
        checkCount(name, type, "bytes_contents", c.getBytesContentsCount(), count);
        int total = 0;
        for (ByteString b : c.getBytesContentsList()) {
          total += 4 + b.size();
        }
        ByteBuffer buf = le(total);
        for (ByteString b : c.getBytesContentsList()) {
          buf.putInt(b.size());
          b.copyTo(buf);
        }
        return ByteString.copyFrom(buf.array());
      }
      case FP32 -> {
        checkCount(name, type, "fp32_contents", c.getFp32ContentsCount(), count);
        ByteBuffer buf = le(n * 4);
        for (int i = 0; i < n; i++) {
          buf.putFloat(c.getFp32Contents(i));
        }
        return ByteString.copyFrom(buf.array());
      }
      case FP64 -> {
        checkCount(name, type, "fp64_contents", c.getFp64ContentsCount(), count);
        ByteBuffer buf = le(n * 8);
        for (int i = 0; i < n; i++) {
          buf.putDouble(c.getFp64Contents(i));
        }
        return ByteString.copyFrom(buf.array());
      }
      case INT64 -> {
        checkCount(name, type, "int64_contents", c.getInt64ContentsCount(), count);
        ByteBuffer buf = le(n * 8);
        for (int i = 0; i < n; i++) {
          buf.putLong(c.getInt64Contents(i));
        }
        return ByteString.copyFrom(buf.array());
      }
      case UINT64 -> {
        checkCount(name, type, "uint64_contents", c.getUint64ContentsCount(), count);
        ByteBuffer buf = le(n * 8);
        for (int i = 0; i < n; i++) {
          buf.putLong(c.getUint64Contents(i));
        }
        return ByteString.copyFrom(buf.array());
      }
      case INT8, INT16, INT32 -> {
        checkCount(name, type, "int_contents", c.getIntContentsCount(), count);
        ByteBuffer buf = le(n * type.byteSize());
        for (int i = 0; i < n; i++) {
          int v = c.getIntContents(i);
          checkRange(name, type, v, type == DataType.INT8 ? Byte.MIN_VALUE : type == DataType.INT16 ? Short.MIN_VALUE : Integer.MIN_VALUE,
              type == DataType.INT8 ? Byte.MAX_VALUE : type == DataType.INT16 ? Short.MAX_VALUE : Integer.MAX_VALUE);
          putSized(buf, type.byteSize(), v);
        }
        return ByteString.copyFrom(buf.array());
      }
      case UINT8, UINT16, UINT32 -> {
        checkCount(name, type, "uint_contents", c.getUintContentsCount(), count);
        ByteBuffer buf = le(n * type.byteSize());
        for (int i = 0; i < n; i++) {
          long v = Integer.toUnsignedLong(c.getUintContents(i));
          checkRange(name, type, v, 0, type == DataType.UINT8 ? 0xFF : type == DataType.UINT16 ? 0xFFFF : 0xFFFFFFFFL);
          putSized(buf, type.byteSize(), (int) v);
        }
        return ByteString.copyFrom(buf.array());
      }
      case BOOL -> {
        checkCount(name, type, "bool_contents", c.getBoolContentsCount(), count);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
          out[i] = (byte) (c.getBoolContents(i) ? 1 : 0);
        }
        return ByteString.copyFrom(out);
      }
      case FP16 -> {
        if (count == 0) {
          return ByteString.EMPTY;
        }
        throw new TensorFormatException(name + ": FP16 has no typed contents (expected: raw_input_contents)");
      }
      default -> throw new TensorFormatException(name + ": unsupported datatype " + type);
    }
  }

  /** Typed contents for a response output. */
  public static ModelInferResponse.InferOutputTensor toOutput(Tensor t) {
    ModelInferResponse.InferOutputTensor.Builder b = ModelInferResponse.InferOutputTensor.newBuilder()
        .setName(t.name())
        .setDatatype(t.datatype().name());
    for (long d : t.shape()) {
      b.addShape(d);
    }
    return b.setContents(contentsOf(t)).build();
  }

  /** An output header without contents, for responses that carry raw_output_contents. */
  public static ModelInferResponse.InferOutputTensor toRawOutputHeader(Tensor t) {
    ModelInferResponse.InferOutputTensor.Builder b = ModelInferResponse.InferOutputTensor.newBuilder()
        .setName(t.name())
        .setDatatype(t.datatype().name());
    for (long d : t.shape()) {
      b.addShape(d);
    }
    return b.build();
  }

  /**
   * Adds {@code tensors} to a response as output headers plus raw_output_contents, the two in
   * the same order, as the protocol pairs them.
   */
  public static ModelInferResponse.Builder addRawOutputs(ModelInferResponse.Builder response, List<Tensor> tensors) {
    for (Tensor t : tensors) {
      response.addOutputs(toRawOutputHeader(t));
      response.addRawOutputContents(t.data());
    }
    return response;
  }

  /** Adds {@code tensors} to a request as input headers plus raw_input_contents, in the same order. */
  public static ModelInferRequest.Builder addRawInputs(ModelInferRequest.Builder request, List<Tensor> tensors) {
    for (Tensor t : tensors) {
      request.addInputs(toRawInputHeader(t));
      request.addRawInputContents(t.data());
    }
    return request;
  }

  /** An input header without contents; its data goes in raw_input_contents. */
  public static ModelInferRequest.InferInputTensor toRawInputHeader(Tensor t) {
    ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder()
        .setName(t.name())
        .setDatatype(t.datatype().name());
    for (long d : t.shape()) {
      b.addShape(d);
    }
    return b.build();
  }

  /** An input with typed contents (FP16 is not representable there). */
  public static ModelInferRequest.InferInputTensor toTypedInput(Tensor t) {
    return toRawInputHeader(t).toBuilder().setContents(contentsOf(t)).build();
  }

  /** Typed contents of a tensor (FP16 has none: it must travel raw). */
  public static InferTensorContents contentsOf(Tensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    ByteBuffer b = t.data().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) t.elementCount();
    switch (t.datatype()) {
      case BYTES -> t.byteElements().forEach(v -> c.addBytesContents(ByteString.copyFrom(v)));
      case FP32 -> { for (int i = 0; i < n; i++) { c.addFp32Contents(b.getFloat()); } }
      case FP64 -> { for (int i = 0; i < n; i++) { c.addFp64Contents(b.getDouble()); } }
      case INT64 -> { for (int i = 0; i < n; i++) { c.addInt64Contents(b.getLong()); } }
      case UINT64 -> { for (int i = 0; i < n; i++) { c.addUint64Contents(b.getLong()); } }
      case INT8 -> { for (int i = 0; i < n; i++) { c.addIntContents(b.get()); } }
      case INT16 -> { for (int i = 0; i < n; i++) { c.addIntContents(b.getShort()); } }
      case INT32 -> { for (int i = 0; i < n; i++) { c.addIntContents(b.getInt()); } }
      case UINT8 -> { for (int i = 0; i < n; i++) { c.addUintContents(b.get() & 0xFF); } }
      case UINT16 -> { for (int i = 0; i < n; i++) { c.addUintContents(b.getShort() & 0xFFFF); } }
      case UINT32 -> { for (int i = 0; i < n; i++) { c.addUintContents(b.getInt()); } }
      case BOOL -> { for (int i = 0; i < n; i++) { c.addBoolContents(b.get() != 0); } }
      case FP16 -> throw new IllegalArgumentException(t.name() + ": FP16 has no typed contents; send it raw");
    }
    return c.build();
  }

  private static boolean hasAnyContents(InferTensorContents c) {
    return c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount()
        + c.getUintContentsCount() + c.getUint64ContentsCount() + c.getFp32ContentsCount()
        + c.getFp64ContentsCount() + c.getBytesContentsCount() > 0;
  }

  private static void checkCount(String name, DataType type, String field, int actual, long expected) {
    if (actual != expected) {
      throw new TensorFormatException(name + ": " + actual + " values in contents." + field
          + " (expected: " + expected + " for the shape, as " + type + ")");
    }
  }

  private static void checkRange(String name, DataType type, long v, long min, long max) {
    if (v < min || v > max) {
      throw new TensorFormatException(name + ": value " + v + " does not fit " + type
          + " (expected: " + min + ".." + max + ")");
    }
  }

  private static void putSized(ByteBuffer buf, int size, int v) {
    switch (size) {
      case 1 -> buf.put((byte) v);
      case 2 -> buf.putShort((short) v);
      default -> buf.putInt(v);
    }
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long[] toArray(List<Long> dims) {
    long[] out = new long[dims.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = dims.get(i);
    }
    return out;
  }
}
