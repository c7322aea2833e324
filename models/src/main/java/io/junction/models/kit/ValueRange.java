package io.junction.models.kit;

/** An inclusive range of values that an integer input accepts ({@code constraints} in model.yaml). */
public record ValueRange(long min, long max) {
  public ValueRange {
    if (min > max) {
      throw new IllegalArgumentException("range: [" + min + ", " + max + "] (expected: min <= max)");
    }
  }
}
