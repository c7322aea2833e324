package io.junction.orchestrator.http.openapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * OpenAPI 3.0 schemas of protobuf messages in the proto3 JSON mapping, which is what the
 * {@code /v1} routes read and write (JsonFormat): lowerCamelCase names, 64-bit integers as
 * strings, enums by name, bytes as base64, maps as objects, the well-known types in their own
 * JSON forms, and at most one member of a oneof. Each message and enum becomes one named
 * component (its full proto name), with the {@code .proto} comments as descriptions; messages
 * refer to each other by {@code $ref}, so recursive types are fine.
 */
final class ProtoJsonSchemas {
  private final ProtoComments comments;
  private final Map<String, JsonObject> components = new TreeMap<>();
  private final Deque<Object> pending = new ArrayDeque<>();

  ProtoJsonSchemas(ProtoComments comments) {
    this.comments = comments;
  }

  /** A {@code $ref} to the message's schema, which (and what it refers to) joins the components. */
  JsonObject ref(Descriptor message) {
    JsonObject wellKnown = wellKnown(message);
    if (wellKnown != null) {
      return wellKnown;
    }
    enqueue(message, message.getFullName());
    return refTo(message.getFullName());
  }

  /** Every schema referred to so far, by name. */
  Map<String, JsonObject> components() {
    while (!pending.isEmpty()) {
      Object next = pending.poll();
      if (next instanceof Descriptor m) {
        components.put(m.getFullName(), message(m));
      } else {
        EnumDescriptor e = (EnumDescriptor) next;
        components.put(e.getFullName(), enumeration(e));
      }
    }
    return components;
  }

  static JsonObject refTo(String component) {
    JsonObject r = new JsonObject();
    r.addProperty("$ref", "#/components/schemas/" + component);
    return r;
  }

  private void enqueue(Object descriptor, String name) {
    if (!components.containsKey(name)) {
      components.put(name, new JsonObject()); // a placeholder until its turn: no second visit
      pending.add(descriptor);
    }
  }

  private JsonObject message(Descriptor m) {
    JsonObject s = new JsonObject();
    s.addProperty("type", "object");
    describe(s, comments.of(m));
    JsonObject properties = new JsonObject();
    for (FieldDescriptor f : m.getFields()) {
      properties.add(f.getJsonName(), field(f));
    }
    s.add("properties", properties);
    return s;
  }

  private JsonObject field(FieldDescriptor f) {
    JsonObject s;
    if (f.isMapField()) {
      s = new JsonObject();
      s.addProperty("type", "object");
      s.add("additionalProperties", single(f.getMessageType().findFieldByName("value")));
    } else if (f.isRepeated()) {
      s = new JsonObject();
      s.addProperty("type", "array");
      s.add("items", single(f));
    } else {
      s = single(f);
    }
    String text = comments.of(f);
    OneofDescriptor oneof = f.getRealContainingOneof();
    if (oneof != null) {
      String others = oneof.getFields().stream().map(FieldDescriptor::getJsonName).collect(Collectors.joining(", "));
      text = (text.isEmpty() ? "" : text + "\n\n") + "One of `" + oneof.getName() + "` (" + others
          + "): at most one of them is set.";
    }
    if (s.has("$ref") && !text.isEmpty()) {
      // in OpenAPI 3.0 a $ref's siblings are ignored: wrap it to keep the field's own text
      JsonObject wrapped = new JsonObject();
      JsonArray all = new JsonArray();
      all.add(s);
      wrapped.add("allOf", all);
      s = wrapped;
    }
    describe(s, text);
    return s;
  }

  /** The schema of one value of the field (an element, for a repeated field). */
  private JsonObject single(FieldDescriptor f) {
    return switch (f.getJavaType()) {
      case MESSAGE -> ref(f.getMessageType());
      case ENUM -> {
        enqueue(f.getEnumType(), f.getEnumType().getFullName());
        yield refTo(f.getEnumType().getFullName());
      }
      default -> scalar(f.getType());
    };
  }

  static JsonObject scalar(FieldDescriptor.Type type) {
    return switch (type) {
      case INT32, SINT32, SFIXED32 -> typed("integer", "int32");
      case UINT32, FIXED32 -> bounded(typed("integer", "int64"), 0, 4294967295L);
      // JsonFormat writes 64-bit integers as strings (JavaScript numbers are doubles) and reads both
      case INT64, SINT64, SFIXED64 -> describe(typed("string", "int64"), "A 64-bit integer, as a decimal string (a JSON number is read too).");
      case UINT64, FIXED64 -> describe(typed("string", "uint64"), "An unsigned 64-bit integer, as a decimal string (a JSON number is read too).");
      case FLOAT -> typed("number", "float");
      case DOUBLE -> typed("number", "double");
      case BOOL -> typed("boolean", null);
      case STRING -> typed("string", null);
      case BYTES -> describe(typed("string", "byte"), "Bytes, base64 encoded.");
      case MESSAGE, GROUP, ENUM -> throw new IllegalArgumentException("not a scalar: " + type);
    };
  }

  private JsonObject enumeration(EnumDescriptor e) {
    JsonObject s = typed("string", null);
    JsonArray names = new JsonArray();
    StringBuilder text = new StringBuilder(comments.of(e));
    for (EnumValueDescriptor v : e.getValues()) {
      names.add(v.getName());
      String c = comments.of(v);
      if (!c.isEmpty()) {
        text.append(text.length() == 0 ? "" : "\n\n").append("- `").append(v.getName()).append("`: ")
            .append(c.replace("\n", " "));
      }
    }
    s.add("enum", names);
    describe(s, text.toString());
    return s;
  }

  /** The JSON forms the protobuf JSON mapping gives the well-known types; null for any other message. */
  static JsonObject wellKnown(Descriptor m) {
    return switch (m.getFullName()) {
      case "google.protobuf.Timestamp" -> describe(typed("string", "date-time"), "RFC 3339, e.g. 1972-01-01T10:00:20.021Z.");
      case "google.protobuf.Duration" -> {
        JsonObject s = describe(typed("string", null), "Seconds with an `s` suffix, e.g. 1.5s.");
        s.addProperty("pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$");
        yield s;
      }
      case "google.protobuf.FieldMask" -> describe(typed("string", null), "Field paths in lowerCamelCase, comma-separated.");
      case "google.protobuf.Struct" -> {
        JsonObject s = typed("object", null);
        s.addProperty("additionalProperties", true);
        yield s;
      }
      case "google.protobuf.Value" -> describe(new JsonObject(), "Any JSON value.");
      case "google.protobuf.ListValue" -> {
        JsonObject s = typed("array", null);
        s.add("items", new JsonObject());
        yield s;
      }
      case "google.protobuf.Empty" -> typed("object", null);
      case "google.protobuf.Any" -> {
        JsonObject s = describe(typed("object", null), "A message of the type `@type` names, with its fields beside it.");
        JsonObject properties = new JsonObject();
        properties.add("@type", typed("string", null));
        s.add("properties", properties);
        JsonArray required = new JsonArray();
        required.add("@type");
        s.add("required", required);
        s.addProperty("additionalProperties", true);
        yield s;
      }
      case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
          "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
          "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue" -> {
        // a wrapper is its value, or null
        JsonObject s = scalar(m.findFieldByName("value").getType());
        s.addProperty("nullable", true);
        yield s;
      }
      default -> null;
    };
  }

  private static JsonObject typed(String type, String format) {
    JsonObject s = new JsonObject();
    s.addProperty("type", type);
    if (format != null) {
      s.addProperty("format", format);
    }
    return s;
  }

  private static JsonObject bounded(JsonObject s, long min, long max) {
    s.addProperty("minimum", min);
    s.addProperty("maximum", max);
    return s;
  }

  private static JsonObject describe(JsonObject s, String text) {
    if (text != null && !text.isEmpty()) {
      // the element's own text first, then what its type adds
      String after = s.has("description") ? "\n\n" + s.get("description").getAsString() : "";
      s.addProperty("description", text + after);
    }
    return s;
  }
}
