package io.junction.workers.runtime;

/**
 * The device a worker is asked for on its command line: {@code cpu} or {@code gpu:N}. N is the
 * host's GPU index; the launcher exposes only that GPU ({@code CUDA_VISIBLE_DEVICES=N}), so the
 * worker itself always loads on the first visible GPU.
 */
public record DeviceRequest(boolean gpu, int index) {
  public static final DeviceRequest CPU = new DeviceRequest(false, 0);

  public DeviceRequest {
    if (index < 0) {
      throw new IllegalArgumentException("index: " + index + " (expected: >= 0)");
    }
  }

  /** Parses {@code cpu} or {@code gpu:N}. */
  public static DeviceRequest parse(String text) {
    if ("cpu".equals(text)) {
      return CPU;
    }
    if (text != null && text.startsWith("gpu:")) {
      String n = text.substring(4);
      if (!n.isEmpty() && n.length() <= 4 && n.chars().allMatch(Character::isDigit)) {
        return new DeviceRequest(true, Integer.parseInt(n));
      }
    }
    throw new IllegalArgumentException(
        "device: " + (text == null ? "missing" : "\"" + text + "\"") + " (expected: cpu or gpu:N with N >= 0)");
  }

  @Override
  public String toString() {
    return gpu ? "gpu:" + index : "cpu";
  }
}
