package io.junction.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Compares answers with the reference. Each check returns null for a correct answer, else a short
 * description of the first difference (which becomes an error kind of the run). Floats from
 * different TensorFlow builds may differ in the last bits, so they compare within a tolerance.
 */
final class Answers {
  /** |got - want| <= ABS + REL * |want|. */
  static final double ABS = 1e-5;
  static final double REL = 1e-4;

  private Answers() {}

  static String floats(String what, float[] got, float[] want) {
    if (got.length != want.length) {
      return what + ": " + got.length + " values (expected: " + want.length + ")";
    }
    for (int i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= ABS + REL * Math.abs(want[i]))) {
        return what + "[" + i + "]: " + got[i] + " (expected: " + want[i] + ")";
      }
    }
    return null;
  }

  static String longs(String what, long[] got, long[] want) {
    if (got.length != want.length) {
      return what + ": " + got.length + " values (expected: " + want.length + ")";
    }
    for (int i = 0; i < want.length; i++) {
      if (got[i] != want[i]) {
        return what + "[" + i + "]: " + got[i] + " (expected: " + want[i] + ")";
      }
    }
    return null;
  }

  static String strings(String what, List<String> got, List<String> want) {
    return got.equals(want) ? null : what + ": " + got + " (expected: " + want + ")";
  }

  /** Little-endian FP32 raw contents, as the Open Inference Protocol encodes them. */
  static float[] rawFloats(ByteBuffer raw) {
    ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / Float.BYTES];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getFloat();
    }
    return out;
  }

  /** Every number of a JSON array, nested arrays flattened in order. */
  static float[] jsonFloats(JsonElement e) {
    java.util.ArrayList<Float> values = new java.util.ArrayList<>();
    flatten(e, values);
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static void flatten(JsonElement e, List<Float> into) {
    if (e.isJsonArray()) {
      for (JsonElement x : (JsonArray) e) {
        flatten(x, into);
      }
    } else {
      into.add(e.getAsFloat());
    }
  }

  static float[] toFloats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  static long[] toLongs(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }
}
