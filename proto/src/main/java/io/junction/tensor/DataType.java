package io.junction.tensor;

import java.util.Optional;

/** The Open Inference Protocol's tensor datatypes, with their element sizes in raw form. */
public enum DataType {
  BOOL(1),
  UINT8(1),
  UINT16(2),
  UINT32(4),
  UINT64(8),
  INT8(1),
  INT16(2),
  INT32(4),
  INT64(8),
  FP16(2),
  FP32(4),
  FP64(8),
  /** Variable-length elements: in raw form each is a 4-byte little-endian length, then the bytes. */
  BYTES(-1);

  private final int byteSize;

  DataType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element in raw form; -1 for {@link #BYTES}. */
  public int byteSize() {
    return byteSize;
  }

  public boolean isFixedSize() {
    return byteSize > 0;
  }

  /** The datatype with this protocol name (exact, upper case), if any. */
  public static Optional<DataType> fromName(String name) {
    for (DataType t : values()) {
      if (t.name().equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** The protocol names, for error messages. */
  public static String names() {
    StringBuilder sb = new StringBuilder();
    for (DataType t : values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(t.name());
    }
    return sb.toString();
  }
}
