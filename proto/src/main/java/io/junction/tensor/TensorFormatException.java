package io.junction.tensor;

/**
 * A tensor on the wire does not match what it says it is: an unknown datatype, a negative
 * dimension, or contents whose size does not match the shape. Always the sender's mistake.
 */
public class TensorFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public TensorFormatException(String message) {
    super(message);
  }
}
