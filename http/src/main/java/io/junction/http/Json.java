package io.junction.http;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Reading a request's JSON by hand, with errors that say where and what was expected
 * ({@code inputs[0].shape[1]: "x" (expected: an integer)}), as INVALID_ARGUMENT.
 */
public final class Json {
  /** NaN and infinities are written as such (as Triton does), not refused. */
  private static final Gson WRITER = new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

  private Json() {}

  /** Parses {@code text} strictly (one JSON value, no trailing text) and requires an object. */
  static JsonObject object(String where, String text) {
    JsonElement e;
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      e = JsonParser.parseReader(reader);
      if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
        throw new JsonParseException("text after the JSON value");
      }
    } catch (JsonParseException | java.io.IOException | IllegalStateException ex) {
      throw HttpFailure.invalid(where + ": malformed JSON: " + message(ex) + " (expected: a JSON object)");
    }
    return object(where, e);
  }

  private static String message(Exception ex) {
    Throwable t = ex.getCause() != null && ex.getCause().getMessage() != null ? ex.getCause() : ex;
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  static JsonObject object(String where, JsonElement e) {
    if (e == null || !e.isJsonObject()) {
      throw HttpFailure.invalid(where + ": " + shown(e) + " (expected: a JSON object)");
    }
    return e.getAsJsonObject();
  }

  /** An absent object is an empty one. */
  static JsonObject optObject(String where, JsonElement e) {
    return e == null ? new JsonObject() : object(where, e);
  }

  static JsonArray array(String where, JsonElement e) {
    if (e == null || !e.isJsonArray()) {
      throw HttpFailure.invalid(where + ": " + shown(e) + " (expected: a JSON array)");
    }
    return e.getAsJsonArray();
  }

  static String string(String where, JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw HttpFailure.invalid(where + ": " + shown(e) + " (expected: a string)");
    }
    return e.getAsString();
  }

  /** An absent boolean is false. */
  static boolean optBool(String where, JsonElement e) {
    if (e == null) {
      return false;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw HttpFailure.invalid(where + ": " + shown(e) + " (expected: true or false)");
    }
    return e.getAsBoolean();
  }

  static long integer(String where, JsonElement e) {
    if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      try {
        BigInteger v = e.getAsJsonPrimitive().getAsBigDecimal().toBigIntegerExact();
        return v.longValueExact();
      } catch (ArithmeticException | NumberFormatException ignored) {
        // reported below
      }
    }
    throw HttpFailure.invalid(where + ": " + shown(e) + " (expected: an integer)");
  }

  private static String shown(JsonElement e) {
    if (e == null) {
      return "missing";
    }
    String s = e.toString();
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  public static byte[] bytes(JsonElement e) {
    return WRITER.toJson(e).getBytes(StandardCharsets.UTF_8);
  }

  static JsonPrimitive of(String s) {
    return new JsonPrimitive(s);
  }
}
