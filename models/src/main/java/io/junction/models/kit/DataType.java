package io.junction.models.kit;

import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * The Open Inference Protocol datatype names that a model.yaml uses, tied to the TensorFlow types
 * the kit exports. Only the four types the demo models need exist, so a graph that produces any
 * other type fails at build time rather than writing a contract the worker cannot check.
 */
public enum DataType {
  BYTES(TString.class),
  FP32(TFloat32.class),
  INT32(TInt32.class),
  INT64(TInt64.class);

  private final Class<? extends TType> tensorType;

  DataType(Class<? extends TType> tensorType) {
    this.tensorType = tensorType;
  }

  /** The TensorFlow Java type of a tensor with this datatype. */
  public Class<? extends TType> tensorType() {
    return tensorType;
  }

  /** The datatype of a TensorFlow Java tensor type. */
  public static DataType of(Class<? extends TType> type) {
    for (DataType d : values()) {
      if (d.tensorType.equals(type)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "tensor type: " + type.getSimpleName() + " (expected: one of TString, TFloat32, TInt32, TInt64)");
  }
}
