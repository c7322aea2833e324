package io.junction.orchestrator.pool;

/**
 * A device a replica asks for: the CPU, or one GPU by index. Written {@code cpu} or
 * {@code gpu:N} in config, on the worker's command line and in status.
 */
public record Device(Type type, int index) {
  public enum Type { CPU, GPU }

  public static final Device CPU = new Device(Type.CPU, 0);

  public static Device gpu(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("gpu index: " + index + " (expected: >= 0)");
    }
    return new Device(Type.GPU, index);
  }

  /** Parses {@code cpu} or {@code gpu:N}; throws IllegalArgumentException with the expected form. */
  public static Device parse(String text) {
    if ("cpu".equals(text)) {
      return CPU;
    }
    if (text != null && text.startsWith("gpu:")) {
      try {
        return gpu(Integer.parseInt(text.substring(4)));
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException("\"" + text + "\" (expected: cpu or gpu:N with N >= 0)");
  }

  public boolean isGpu() {
    return type == Type.GPU;
  }

  @Override
  public String toString() {
    return type == Type.CPU ? "cpu" : "gpu:" + index;
  }
}
