package io.junction.tensor;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A named tensor whose data is kept in the Open Inference Protocol's raw form: little-endian
 * elements, BYTES elements each prefixed by a 4-byte little-endian length. Keeping the raw
 * bytes lets the orchestrator pass tensors between steps without decoding them; accessors
 * decode on demand for the few places that read values (switches, loops, typed adapters).
 *
 * <p>Immutable. The constructor checks that the data matches the shape, so a Tensor that
 * exists is well formed.
 */
public final class Tensor {
  /** Guards against shapes whose element count overflows or exhausts memory. */
  public static final long MAX_ELEMENTS = 1L << 28;

  private final String name;
  private final DataType datatype;
  private final long[] shape;
  private final ByteString data;
  private final long elementCount;

  public Tensor(String name, DataType datatype, long[] shape, ByteString data) {
    this.name = Objects.requireNonNull(name, "name");
    this.datatype = Objects.requireNonNull(datatype, "datatype");
    this.shape = shape.clone();
    this.data = Objects.requireNonNull(data, "data");
    this.elementCount = elementCount(name, this.shape);
    if (datatype.isFixedSize()) {
      long expected = elementCount * datatype.byteSize();
      if (data.size() != expected) {
        throw new TensorFormatException(
            name + ": " + data.size() + " bytes of raw contents (expected: " + expected
                + " for " + elementCount + " " + datatype + " elements of shape " + shapeString(this.shape) + ")");
      }
    } else {
      long count = countByteElements(name, data);
      if (count != elementCount) {
        throw new TensorFormatException(
            name + ": " + count + " BYTES elements in raw contents (expected: " + elementCount
                + " for shape " + shapeString(this.shape) + ")");
      }
    }
  }

  /** Product of the dimensions, checked: no dimension below 0, no overflow, at most {@link #MAX_ELEMENTS}. */
  public static long elementCount(String name, long[] shape) {
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      long d = shape[i];
      if (d < 0) {
        throw new TensorFormatException(
            name + ".shape[" + i + "]: " + d + " (expected: >= 0 in a concrete tensor)");
      }
      if (d != 0 && count > MAX_ELEMENTS / d) {
        throw new TensorFormatException(
            name + ": shape " + shapeString(shape) + " has too many elements (expected: at most " + MAX_ELEMENTS + ")");
      }
      count *= d;
    }
    if (count > MAX_ELEMENTS) {
      throw new TensorFormatException(
          name + ": shape " + shapeString(shape) + " has too many elements (expected: at most " + MAX_ELEMENTS + ")");
    }
    return count;
  }

  public String name() {
    return name;
  }

  public DataType datatype() {
    return datatype;
  }

  /** A copy of the shape. */
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int i) {
    return shape[i];
  }

  public ByteString data() {
    return data;
  }

  public long elementCount() {
    return elementCount;
  }

  public Tensor withName(String newName) {
    return newName.equals(name) ? this : new Tensor(newName, datatype, shape, data);
  }

  public Tensor withShape(long[] newShape) {
    return new Tensor(name, datatype, newShape, data);
  }

  // ---- factories ----

  public static Tensor ofFloats(String name, long[] shape, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return new Tensor(name, DataType.FP32, shape, ByteString.copyFrom(b.array()));
  }

  public static Tensor ofDoubles(String name, long[] shape, double... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putDouble(v);
    }
    return new Tensor(name, DataType.FP64, shape, ByteString.copyFrom(b.array()));
  }

  public static Tensor ofLongs(String name, long[] shape, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    return new Tensor(name, DataType.INT64, shape, ByteString.copyFrom(b.array()));
  }

  public static Tensor ofInts(String name, long[] shape, int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return new Tensor(name, DataType.INT32, shape, ByteString.copyFrom(b.array()));
  }

  public static Tensor ofStrings(String name, long[] shape, List<String> values) {
    List<byte[]> bytes = new ArrayList<>(values.size());
    for (String s : values) {
      bytes.add(s.getBytes(StandardCharsets.UTF_8));
    }
    return ofByteElements(name, shape, bytes);
  }

  public static Tensor ofByteElements(String name, long[] shape, List<byte[]> values) {
    int total = 0;
    for (byte[] v : values) {
      total += 4 + v.length;
    }
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] v : values) {
      b.putInt(v.length);
      b.put(v);
    }
    return new Tensor(name, DataType.BYTES, shape, ByteString.copyFrom(b.array()));
  }

  // ---- accessors (decode on demand) ----

  public float[] floats() {
    require(DataType.FP32);
    float[] out = new float[(int) elementCount];
    buffer().asFloatBuffer().get(out);
    return out;
  }

  public double[] doubles() {
    require(DataType.FP64);
    double[] out = new double[(int) elementCount];
    buffer().asDoubleBuffer().get(out);
    return out;
  }

  public long[] longs() {
    require(DataType.INT64);
    long[] out = new long[(int) elementCount];
    buffer().asLongBuffer().get(out);
    return out;
  }

  public int[] ints() {
    require(DataType.INT32);
    int[] out = new int[(int) elementCount];
    buffer().asIntBuffer().get(out);
    return out;
  }

  /** Integer elements of any integer datatype, widened to long. */
  public long[] integerValues() {
    ByteBuffer b = buffer();
    long[] out = new long[(int) elementCount];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (datatype) {
        case INT8 -> b.get();
        case UINT8 -> b.get() & 0xFFL;
        case INT16 -> b.getShort();
        case UINT16 -> b.getShort() & 0xFFFFL;
        case INT32 -> b.getInt();
        case UINT32 -> b.getInt() & 0xFFFFFFFFL;
        case INT64, UINT64 -> b.getLong();
        case BOOL -> b.get() != 0 ? 1 : 0;
        default -> throw new IllegalStateException(name + ": " + datatype + " is not an integer datatype");
      };
    }
    return out;
  }

  public List<byte[]> byteElements() {
    require(DataType.BYTES);
    ByteBuffer b = buffer();
    List<byte[]> out = new ArrayList<>((int) elementCount);
    while (b.hasRemaining()) {
      byte[] v = new byte[b.getInt()];
      b.get(v);
      out.add(v);
    }
    return out;
  }

  public List<String> strings() {
    List<String> out = new ArrayList<>();
    for (byte[] v : byteElements()) {
      out.add(new String(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private ByteBuffer buffer() {
    return data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private void require(DataType t) {
    if (datatype != t) {
      throw new IllegalStateException(name + " is " + datatype + ", not " + t);
    }
  }

  private static long countByteElements(String name, ByteString data) {
    ByteBuffer b = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    long count = 0;
    while (b.hasRemaining()) {
      if (b.remaining() < 4) {
        throw new TensorFormatException(
            name + ": raw BYTES contents end inside a length prefix (expected: each element as a "
                + "4-byte little-endian length followed by that many bytes)");
      }
      int len = b.getInt();
      if (len < 0 || len > b.remaining()) {
        throw new TensorFormatException(
            name + ": raw BYTES element " + count + " claims " + Integer.toUnsignedString(len)
                + " bytes but " + b.remaining() + " remain (expected: each element as a 4-byte little-endian "
                + "length followed by that many bytes)");
      }
      b.position(b.position() + len);
      count++;
    }
    return count;
  }

  public static String shapeString(long[] shape) {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && name.equals(t.name)
        && datatype == t.datatype
        && Arrays.equals(shape, t.shape)
        && data.equals(t.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, Arrays.hashCode(shape), data);
  }

  @Override
  public String toString() {
    return name + ":" + datatype + shapeString(shape);
  }
}
