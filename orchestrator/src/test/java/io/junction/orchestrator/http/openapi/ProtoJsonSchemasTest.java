package io.junction.orchestrator.http.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The proto3 JSON mapping of each kind of field, on a message made here (our protos use few of
 * them): 64-bit integers, unsigned, bytes, enums, repeated, maps, oneofs, nested and recursive
 * messages, the well-known types; and comments found by their source path.
 */
class ProtoJsonSchemasTest {
  @Test
  void eachKindOfFieldHasItsJsonForm() throws Exception {
    Descriptor m = sample();
    ProtoComments comments = ProtoComments.of(FileDescriptorSet.newBuilder().addFile(m.getFile().toProto().toBuilder()
        .setSourceCodeInfo(SourceCodeInfo.newBuilder()
            .addLocation(SourceCodeInfo.Location.newBuilder().addAllPath(List.of(4, 0)).setLeadingComments(" A sample.\n"))
            .addLocation(SourceCodeInfo.Location.newBuilder().addAllPath(List.of(4, 0, 2, 0))
                .setLeadingComments(" A big one.\n More of it.\n"))
            .addLocation(SourceCodeInfo.Location.newBuilder().addAllPath(List.of(4, 0, 4, 0, 2, 1))
                .setLeadingComments(" The red one.\n")))
        .build()).build());
    ProtoJsonSchemas schemas = new ProtoJsonSchemas(comments);
    assertThat(schemas.ref(m).get("$ref").getAsString()).isEqualTo("#/components/schemas/t.Sample");
    Map<String, JsonObject> all = schemas.components();
    assertThat(all).containsKeys("t.Sample", "t.Sample.Color");
    JsonObject s = all.get("t.Sample");
    assertThat(s.get("description").getAsString()).isEqualTo("A sample.");
    JsonObject p = s.getAsJsonObject("properties");
    assertThat(p.keySet()).containsExactly("bigCount", "small", "blob", "color", "tags", "labels", "text", "number",
        "child", "at", "took", "extra", "maybe");
    assertThat(p.getAsJsonObject("bigCount").get("type").getAsString()).isEqualTo("string");
    assertThat(p.getAsJsonObject("bigCount").get("description").getAsString()).startsWith("A big one.\nMore of it.");
    assertThat(p.getAsJsonObject("small").get("maximum").getAsLong()).isEqualTo(4294967295L);
    assertThat(p.getAsJsonObject("blob").get("format").getAsString()).isEqualTo("byte");
    assertThat(p.getAsJsonObject("color").get("$ref").getAsString()).isEqualTo("#/components/schemas/t.Sample.Color");
    assertThat(all.get("t.Sample.Color").getAsJsonArray("enum").toString()).isEqualTo("[\"NONE\",\"RED\"]");
    assertThat(all.get("t.Sample.Color").get("description").getAsString()).contains("`RED`: The red one.");
    assertThat(p.getAsJsonObject("tags").get("type").getAsString()).isEqualTo("array");
    assertThat(p.getAsJsonObject("tags").getAsJsonObject("items").get("type").getAsString()).isEqualTo("string");
    JsonObject labels = p.getAsJsonObject("labels");
    assertThat(labels.get("type").getAsString()).isEqualTo("object");
    assertThat(labels.getAsJsonObject("additionalProperties").get("format").getAsString()).isEqualTo("int64");
    assertThat(p.getAsJsonObject("text").get("description").getAsString()).contains("One of `value` (text, number)");
    assertThat(p.getAsJsonObject("child").get("$ref").getAsString()).isEqualTo("#/components/schemas/t.Sample");
    assertThat(p.getAsJsonObject("at").get("format").getAsString()).isEqualTo("date-time");
    assertThat(p.getAsJsonObject("took").get("pattern").getAsString()).endsWith("s$");
    assertThat(p.getAsJsonObject("extra").get("additionalProperties").getAsBoolean()).isTrue();
    assertThat(p.getAsJsonObject("maybe").get("nullable").getAsBoolean()).isTrue();
    assertThat(p.getAsJsonObject("maybe").get("type").getAsString()).isEqualTo("integer");
  }

  private static Descriptor sample() throws Exception {
    DescriptorProto.Builder m = DescriptorProto.newBuilder().setName("Sample")
        .addEnumType(EnumDescriptorProto.newBuilder().setName("Color")
            .addValue(EnumValueDescriptorProto.newBuilder().setName("NONE").setNumber(0))
            .addValue(EnumValueDescriptorProto.newBuilder().setName("RED").setNumber(1)))
        .addNestedType(DescriptorProto.newBuilder().setName("LabelsEntry").setOptions(
                com.google.protobuf.DescriptorProtos.MessageOptions.newBuilder().setMapEntry(true))
            .addField(field("key", 1, Type.TYPE_STRING, Label.LABEL_OPTIONAL))
            .addField(field("value", 2, Type.TYPE_INT64, Label.LABEL_OPTIONAL)))
        .addOneofDecl(OneofDescriptorProto.newBuilder().setName("value"))
        .addField(field("big_count", 1, Type.TYPE_INT64, Label.LABEL_OPTIONAL))
        .addField(field("small", 2, Type.TYPE_UINT32, Label.LABEL_OPTIONAL))
        .addField(field("blob", 3, Type.TYPE_BYTES, Label.LABEL_OPTIONAL))
        .addField(field("color", 4, Type.TYPE_ENUM, Label.LABEL_OPTIONAL).setTypeName(".t.Sample.Color"))
        .addField(field("tags", 5, Type.TYPE_STRING, Label.LABEL_REPEATED))
        .addField(field("labels", 6, Type.TYPE_MESSAGE, Label.LABEL_REPEATED).setTypeName(".t.Sample.LabelsEntry"))
        .addField(field("text", 7, Type.TYPE_STRING, Label.LABEL_OPTIONAL).setOneofIndex(0))
        .addField(field("number", 8, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL).setOneofIndex(0))
        .addField(field("child", 9, Type.TYPE_MESSAGE, Label.LABEL_OPTIONAL).setTypeName(".t.Sample"))
        .addField(field("at", 10, Type.TYPE_MESSAGE, Label.LABEL_OPTIONAL).setTypeName(".google.protobuf.Timestamp"))
        .addField(field("took", 11, Type.TYPE_MESSAGE, Label.LABEL_OPTIONAL).setTypeName(".google.protobuf.Duration"))
        .addField(field("extra", 12, Type.TYPE_MESSAGE, Label.LABEL_OPTIONAL).setTypeName(".google.protobuf.Struct"))
        .addField(field("maybe", 13, Type.TYPE_MESSAGE, Label.LABEL_OPTIONAL).setTypeName(".google.protobuf.Int32Value"));
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("t/sample.proto").setPackage("t")
        .setSyntax("proto3").addMessageType(m)
        .addDependency("google/protobuf/timestamp.proto").addDependency("google/protobuf/duration.proto")
        .addDependency("google/protobuf/struct.proto").addDependency("google/protobuf/wrappers.proto").build();
    return FileDescriptor.buildFrom(file, new FileDescriptor[] {TimestampProto.getDescriptor(),
        DurationProto.getDescriptor(), StructProto.getDescriptor(), WrappersProto.getDescriptor()})
        .findMessageTypeByName("Sample");
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type, Label label) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).setLabel(label);
  }
}
