package io.junction.orchestrator.http.openapi;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .proto} comments of our descriptors. The generated Java descriptors carry none, so
 * they come from the descriptor set that the proto module's build writes with its source info
 * ({@value #RESOURCE}, proto/pom.xml). An element is found there by its file and its path of
 * field numbers and indexes in {@code FileDescriptorProto} (descriptor.proto's
 * {@code SourceCodeInfo.Location.path}), which is computed here from the Java descriptor; the
 * well-known types, not in the set, have no comment.
 */
final class ProtoComments {
  static final String RESOURCE = "/io/junction/proto/junction.protoset";

  // FileDescriptorProto, DescriptorProto, EnumDescriptorProto and ServiceDescriptorProto field numbers
  private static final int FILE_MESSAGE = 4;
  private static final int FILE_ENUM = 5;
  private static final int FILE_SERVICE = 6;
  private static final int MESSAGE_FIELD = 2;
  private static final int MESSAGE_NESTED = 3;
  private static final int MESSAGE_ENUM = 4;
  private static final int MESSAGE_ONEOF = 8;
  private static final int ENUM_VALUE = 2;
  private static final int SERVICE_METHOD = 2;

  private final Map<String, Map<List<Integer>, String>> byFile;

  private ProtoComments(Map<String, Map<List<Integer>, String>> byFile) {
    this.byFile = byFile;
  }

  /** The comments of the descriptor set on the classpath; fails if the build did not package it. */
  static ProtoComments load() {
    try (InputStream in = ProtoComments.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath (the proto module's build writes it)");
      }
      return of(FileDescriptorSet.parseFrom(in));
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  static ProtoComments of(FileDescriptorSet set) {
    Map<String, Map<List<Integer>, String>> byFile = new HashMap<>();
    set.getFileList().forEach(f -> {
      Map<List<Integer>, String> comments = new HashMap<>();
      for (SourceCodeInfo.Location l : f.getSourceCodeInfo().getLocationList()) {
        String text = clean(l.getLeadingComments().isBlank() ? l.getTrailingComments() : l.getLeadingComments());
        if (!text.isEmpty()) {
          comments.put(List.copyOf(l.getPathList()), text);
        }
      }
      byFile.put(f.getName(), comments);
    });
    return new ProtoComments(byFile);
  }

  /** Whether the set has comments for {@code file}: false means the element's text is missing. */
  boolean covers(String file) {
    return byFile.containsKey(file);
  }

  /** The element's comment, trimmed, or "" when it has none. */
  String of(GenericDescriptor d) {
    Map<List<Integer>, String> comments = byFile.get(d.getFile().getName());
    return comments == null ? "" : comments.getOrDefault(path(d), "");
  }

  private static List<Integer> path(GenericDescriptor d) {
    List<Integer> p = new ArrayList<>();
    if (d instanceof Descriptor m) {
      if (m.getContainingType() == null) {
        p.addAll(List.of(FILE_MESSAGE, m.getIndex()));
      } else {
        p.addAll(path(m.getContainingType()));
        p.addAll(List.of(MESSAGE_NESTED, m.getIndex()));
      }
    } else if (d instanceof FieldDescriptor f) {
      p.addAll(path(f.getContainingType()));
      p.addAll(List.of(MESSAGE_FIELD, f.getIndex()));
    } else if (d instanceof OneofDescriptor o) {
      p.addAll(path(o.getContainingType()));
      p.addAll(List.of(MESSAGE_ONEOF, o.getIndex()));
    } else if (d instanceof EnumDescriptor e) {
      if (e.getContainingType() == null) {
        p.addAll(List.of(FILE_ENUM, e.getIndex()));
      } else {
        p.addAll(path(e.getContainingType()));
        p.addAll(List.of(MESSAGE_ENUM, e.getIndex()));
      }
    } else if (d instanceof EnumValueDescriptor v) {
      p.addAll(path(v.getType()));
      p.addAll(List.of(ENUM_VALUE, v.getIndex()));
    } else if (d instanceof ServiceDescriptor s) {
      p.addAll(List.of(FILE_SERVICE, s.getIndex()));
    } else if (d instanceof MethodDescriptor m) {
      p.addAll(path(m.getService()));
      p.addAll(List.of(SERVICE_METHOD, m.getIndex()));
    }
    return p;
  }

  /** The comment as Markdown (which OpenAPI descriptions are): each line without protoc's leading space. */
  private static String clean(String raw) {
    StringBuilder out = new StringBuilder();
    for (String line : raw.split("\n", -1)) {
      out.append(line.startsWith(" ") ? line.substring(1) : line).append('\n');
    }
    return out.toString().strip();
  }
}
