package io.junction.orchestrator.http.openapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/** Small builders of the document's JSON, so that its parts read as the OpenAPI they write. */
final class Oas {
  private Oas() {}

  /** An object of key-value pairs; a value is a JsonElement, a String, a Number or a Boolean. */
  static JsonObject obj(Object... keysAndValues) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      o.add((String) keysAndValues[i], element(keysAndValues[i + 1]));
    }
    return o;
  }

  static JsonArray arr(Object... values) {
    JsonArray a = new JsonArray();
    for (Object v : values) {
      a.add(element(v));
    }
    return a;
  }

  static JsonObject ref(String component) {
    return ProtoJsonSchemas.refTo(component);
  }

  /** A {@code $ref} to a component of another kind than a schema: parameters, responses. */
  static JsonObject ref(String component, String kind) {
    return obj("$ref", "#/components/" + kind + "/" + component);
  }

  /** An object schema with these properties. */
  static JsonObject object(String description, Object... properties) {
    return obj("type", "object", "description", description, "properties", obj(properties));
  }

  static JsonObject type(String type) {
    return obj("type", type);
  }

  static JsonObject arrayOf(JsonObject items) {
    return obj("type", "array", "items", items);
  }

  static JsonObject json(JsonObject schema) {
    return obj("application/json", obj("schema", schema));
  }

  private static JsonElement element(Object v) {
    if (v instanceof JsonElement e) {
      return e;
    } else if (v instanceof String s) {
      return new JsonPrimitive(s);
    } else if (v instanceof Number n) {
      return new JsonPrimitive(n);
    } else if (v instanceof Boolean b) {
      return new JsonPrimitive(b);
    }
    throw new IllegalArgumentException("not a JSON value: " + v);
  }
}
