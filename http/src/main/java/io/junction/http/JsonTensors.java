package io.junction.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import io.junction.proto.inference.InferTensorContents;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tensor's {@code data} in the Open Inference Protocol's JSON form, to and from the typed
 * contents of the gRPC messages: the JSON side only changes the notation, so the checks of
 * counts, shapes and ranges stay where the gRPC side does them (the service). Row-major data
 * may be flat or nested; BYTES elements are strings; FP16 has no JSON form (binary data only).
 */
final class JsonTensors {
  private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  private static final BigInteger UINT32_MAX = BigInteger.valueOf(0xFFFF_FFFFL);

  private JsonTensors() {}

  /** The typed contents of {@code data}, for a tensor of {@code type}; {@code where} names it in errors. */
  static InferTensorContents contents(String where, DataType type, JsonElement data) {
    List<JsonElement> values = new ArrayList<>();
    flatten(where, data, values, 0);
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (int i = 0; i < values.size(); i++) {
      add(where + "[" + i + "]", type, values.get(i), c);
    }
    return c.build();
  }

  private static void flatten(String where, JsonElement e, List<JsonElement> out, int depth) {
    if (e.isJsonArray()) {
      if (depth > 64) {
        throw HttpFailure.invalid(where + ": arrays nested more than 64 deep (expected: one level a dimension)");
      }
      for (JsonElement x : e.getAsJsonArray()) {
        flatten(where, x, out, depth + 1);
      }
    } else if (e.isJsonPrimitive()) {
      out.add(e);
    } else {
      throw HttpFailure.invalid(where + ": " + kind(e) + " (expected: an array of values, flat or nested)");
    }
  }

  private static void add(String where, DataType type, JsonElement e, InferTensorContents.Builder c) {
    JsonPrimitive p = e.getAsJsonPrimitive();
    switch (type) {
      case BOOL -> {
        require(where, p.isBoolean(), p, "true or false");
        c.addBoolContents(p.getAsBoolean());
      }
      case BYTES -> {
        require(where, p.isString(), p, "a string");
        c.addBytesContents(ByteString.copyFromUtf8(p.getAsString()));
      }
      case FP32 -> c.addFp32Contents(number(where, p, type).floatValue());
      case FP64 -> c.addFp64Contents(number(where, p, type).doubleValue());
      case INT8, INT16, INT32 ->
          c.addIntContents(integer(where, p, type, BigInteger.valueOf(Integer.MIN_VALUE), BigInteger.valueOf(Integer.MAX_VALUE)).intValue());
      case UINT8, UINT16, UINT32 -> c.addUintContents(integer(where, p, type, BigInteger.ZERO, UINT32_MAX).intValue());
      case INT64 ->
          c.addInt64Contents(integer(where, p, type, BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE)).longValue());
      case UINT64 -> c.addUint64Contents(integer(where, p, type, BigInteger.ZERO, UINT64_MAX).longValue());
      case FP16 -> throw HttpFailure.invalid(where + ": FP16 in JSON (expected: binary data; set parameters.binary_data_size)");
    }
  }

  private static BigDecimal number(String where, JsonPrimitive p, DataType type) {
    require(where, p.isNumber(), p, "a number for " + type);
    try {
      return p.getAsBigDecimal();
    } catch (NumberFormatException e) {
      throw HttpFailure.invalid(where + ": " + p + " (expected: a number for " + type + ")");
    }
  }

  private static BigInteger integer(String where, JsonPrimitive p, DataType type, BigInteger min, BigInteger max) {
    BigInteger v;
    try {
      v = number(where, p, type).toBigIntegerExact();
    } catch (ArithmeticException e) {
      throw HttpFailure.invalid(where + ": " + p + " (expected: an integer for " + type + ")");
    }
    // the narrower types' ranges are checked by the service, as for gRPC's typed contents
    if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
      throw HttpFailure.invalid(where + ": " + p + " (expected: " + min + ".." + max + " for " + type + ")");
    }
    return v;
  }

  private static void require(String where, boolean ok, JsonPrimitive p, String expected) {
    if (!ok) {
      throw HttpFailure.invalid(where + ": " + p + " (expected: " + expected + ")");
    }
  }

  private static String kind(JsonElement e) {
    return e.isJsonNull() ? "null" : e.isJsonObject() ? "an object" : e.toString();
  }

  /** A tensor's values as one flat JSON array (the shape travels beside it). */
  static JsonArray data(Tensor t) {
    JsonArray out = new JsonArray();
    if (t.datatype() == DataType.FP16) {
      throw HttpFailure.invalid(t.name() + ": FP16 output in JSON (expected: binary data; ask for it with "
          + "outputs[].parameters.binary_data: true)");
    }
    InferTensorContents c = TensorCodec.contentsOf(t);
    switch (t.datatype()) {
      case BOOL -> c.getBoolContentsList().forEach(out::add);
      case BYTES -> c.getBytesContentsList().forEach(b -> out.add(b.toString(StandardCharsets.UTF_8)));
      case FP32 -> c.getFp32ContentsList().forEach(out::add);
      case FP64 -> c.getFp64ContentsList().forEach(out::add);
      case INT8, INT16, INT32 -> c.getIntContentsList().forEach(out::add);
      case UINT8, UINT16, UINT32 -> c.getUintContentsList().forEach(v -> out.add(Integer.toUnsignedLong(v)));
      case INT64 -> c.getInt64ContentsList().forEach(out::add);
      case UINT64 -> c.getUint64ContentsList().forEach(v -> out.add(new BigInteger(Long.toUnsignedString(v))));
      case FP16 -> throw new AssertionError("checked above");
    }
    return out;
  }
}
