package io.junction.workers.repository;

/** An inclusive range of integer values that an input may hold ({@code constraints} in model.yaml). */
public record ValueRange(long min, long max) {
  public ValueRange {
    if (min > max) {
      throw new IllegalArgumentException("min " + min + " > max " + max);
    }
  }

  public boolean contains(long v) {
    return v >= min && v <= max;
  }

  @Override
  public String toString() {
    return min + ".." + max;
  }
}
