package io.junction.workers.runtime;

/** A tensor of a datatype the TensorFlow runtime does not convert (only FP32, FP64, INT32, INT64, BYTES). */
public class UnsupportedDatatypeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UnsupportedDatatypeException(String message) {
    super(message);
  }
}
