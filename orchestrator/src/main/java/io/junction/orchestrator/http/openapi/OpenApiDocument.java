package io.junction.orchestrator.http.openapi;

import static io.junction.orchestrator.http.openapi.Oas.arr;
import static io.junction.orchestrator.http.openapi.Oas.json;
import static io.junction.orchestrator.http.openapi.Oas.obj;
import static io.junction.orchestrator.http.openapi.Oas.object;
import static io.junction.orchestrator.http.openapi.Oas.ref;
import static io.junction.orchestrator.http.openapi.Oas.type;

import com.google.common.base.Suppliers;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.junction.orchestrator.admission.Priority;
import io.junction.http.GrpcTimeout;
import io.junction.http.HttpStatuses;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RecommendationServiceGrpc;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The OpenAPI 3 document of the HTTP/JSON routes, served at {@code /openapi.json}. It is made
 * at run time from what the server runs, so that it cannot go stale: the {@code /v1} operations
 * from the gRPC methods they call (request and answer schemas from the message descriptors in
 * the protobuf JSON mapping, {@link ProtoJsonSchemas}; descriptions from the {@code .proto}
 * comments, {@link ProtoComments}), the error answers from {@link HttpStatuses}, and the
 * {@code /v2} routes from the Open Inference Protocol's REST specification
 * ({@link OipRestPaths}). Made once, on first use.
 */
public final class OpenApiDocument {
  /** The OpenAPI version written: 3.0, which every tool reads. */
  static final String OPENAPI = "3.0.3";
  static final String ERROR = "Error";
  static final String PRIORITY_PARAMETER = "priority";
  static final String TIMEOUT_PARAMETER = "timeout";

  /**
   * The typed routes of {@code /v1} (io.junction.orchestrator.http.TypedRoutes serves them): the
   * path and the gRPC method each one calls.
   */
  record TypedRoute(String path, io.grpc.MethodDescriptor<?, ?> method) {
    MethodDescriptor descriptor() {
      return ((ProtoMethodDescriptorSupplier) method.getSchemaDescriptor()).getMethodDescriptor();
    }
  }

  static final List<TypedRoute> TYPED = List.of(
      new TypedRoute("/v1/converse", ConversationServiceGrpc.getConverseMethod()),
      new TypedRoute("/v1/converse:stream", ConversationServiceGrpc.getConverseStreamMethod()),
      new TypedRoute("/v1/recommend", RecommendationServiceGrpc.getRecommendMethod()),
      new TypedRoute("/v1/pipelines/{name}:run", PipelineServiceGrpc.getRunMethod()));

  private static final Supplier<byte[]> JSON = Suppliers.memoize(() -> new GsonBuilder().disableHtmlEscaping()
      .create().toJson(build()).getBytes(StandardCharsets.UTF_8));

  private OpenApiDocument() {}

  /** The document as UTF-8 JSON, made on the first call. */
  public static byte[] bytes() {
    return JSON.get();
  }

  static JsonObject build() {
    ProtoComments comments = ProtoComments.load();
    ProtoJsonSchemas schemas = new ProtoJsonSchemas(comments);
    JsonObject paths = new JsonObject();
    Set<ServiceDescriptor> services = new LinkedHashSet<>();
    for (TypedRoute r : TYPED) {
      services.add(r.descriptor().getService());
      paths.add(r.path(), obj("post", typed(r, comments, schemas)));
    }
    OipRestPaths.addPaths(paths, errors(false), errors(true));

    Map<String, JsonObject> components = new TreeMap<>(schemas.components());
    OipRestPaths.addSchemas(components);
    components.put(ERROR, object("An error: the gRPC status's description, in the form `name: value (expected:"
        + " ...)` for a mistake in the request.", "error", type("string")));
    JsonObject componentSchemas = new JsonObject();
    components.forEach(componentSchemas::add);

    List<Object> tags = new ArrayList<>();
    for (ServiceDescriptor s : services) {
      tags.add(obj("name", s.getName(), "description", comments.of(s)));
    }
    tags.add(obj("name", OipRestPaths.TAG, "description", "KServe's Open Inference Protocol (v2), REST form, for"
        + " models and pipelines, with Triton's binary tensor data extension: what `tritonclient.http` speaks."));

    return obj("openapi", OPENAPI,
        "info", obj("title", "Junction HTTP/JSON API", "version", version(),
            "description", "The orchestrator's HTTP/JSON routes. Each is a translation of one gRPC call of the"
                + " orchestrator's own services: same validation, admission and status codes (docs/http.md)."
                + " The `/v1` bodies are the gRPC messages in the protobuf JSON mapping: fields in lowerCamelCase"
                + " (the `.proto` names are read too), 64-bit integers as strings; unknown fields are refused."),
        "tags", arr(tags.toArray()),
        "paths", paths,
        "components", obj("schemas", componentSchemas,
            "parameters", obj(PRIORITY_PARAMETER, obj("name", Priority.HEADER, "in", "header",
                "description", "The call's class of service, as the gRPC metadata of the same name; an unknown"
                    + " value is 400.",
                "schema", obj("type", "string", "enum", arr(Priority.INTERACTIVE.wireName(), Priority.BATCH.wireName()))),
                TIMEOUT_PARAMETER, obj("name", GrpcTimeout.HEADER, "in", "header",
                "description", "The call's deadline in gRPC's timeout syntax (grpc-gateway's convention): 1 to 8"
                    + " digits and a unit H, M, S, m, u or n, such as `500m` or `2S`. A deadline that passes is 504;"
                    + " a malformed value is 400.",
                "schema", obj("type", "string", "pattern", "^[0-9]{1,8}[HMSmun]$"))),
            "responses", errorResponses()));
  }

  private static JsonObject typed(TypedRoute r, ProtoComments comments, ProtoJsonSchemas schemas) {
    MethodDescriptor m = r.descriptor();
    boolean sse = m.isServerStreaming();
    String description = comments.of(m) + "\n\nThe body is `" + m.getInputType().getFullName()
        + "` in the protobuf JSON mapping; the answer is "
        + (sse ? "a stream of Server-Sent Events, one `" + m.getOutputType().getFullName() + "` as JSON in each event's"
            + " `data:` line, in the order of the gRPC stream. A failure after the first event is a last event"
            + " named `error`, its data `{\"error\": \"<message>\", \"status\": <HTTP code>}`."
            : "`" + m.getOutputType().getFullName() + "` in the same mapping.");
    List<Object> parameters = new ArrayList<>();
    if (r.path().contains("{name}")) {
      parameters.add(obj("name", "name", "in", "path", "required", true, "schema", type("string"),
          "description", "The pipeline; a `pipeline` field in the body, if any, must say the same."));
    }
    parameters.add(ref(PRIORITY_PARAMETER, "parameters"));
    parameters.add(ref(TIMEOUT_PARAMETER, "parameters"));
    JsonObject outputRef = schemas.ref(m.getOutputType());
    JsonObject ok = sse
        ? obj("description", "The events, as `text/event-stream`.", "content", obj("text/event-stream",
            obj("schema", obj("type", "string", "description", "`data: <" + m.getOutputType().getFullName()
                + " as JSON>` lines, each followed by a blank line (see " + outputRef.get("$ref").getAsString()
                + ")."))))
        : obj("description", "OK", "content", json(outputRef));
    JsonObject responses = obj("200", ok);
    errors(true).entrySet().forEach(e -> responses.add(e.getKey(), e.getValue()));
    return obj("tags", arr(m.getService().getName()),
        "operationId", m.getService().getName() + "_" + m.getName(),
        "summary", r.method().getFullMethodName(),
        "description", description,
        "parameters", arr(parameters.toArray()),
        "requestBody", obj("required", true, "content", json(schemas.ref(m.getInputType()))),
        "responses", responses);
  }

  /** References to the error answers an operation can give; a POST's add 413 (its body too large). */
  static JsonObject errors(boolean post) {
    JsonObject out = new JsonObject();
    errorResponses().keySet().stream().filter(code -> post || !code.equals("413"))
        .forEach(code -> out.add(code, ref(code, "responses")));
    return out;
  }

  /**
   * One answer per HTTP status that a gRPC status maps to (the one map, {@link HttpStatuses}),
   * naming those codes, and 413, which only HTTP has.
   */
  static JsonObject errorResponses() {
    Map<Integer, List<String>> byHttp = new TreeMap<>();
    for (Status.Code c : Status.Code.values()) {
      if (c != Status.Code.OK) {
        byHttp.computeIfAbsent(HttpStatuses.of(c), k -> new ArrayList<>()).add(c.name());
      }
    }
    byHttp.computeIfAbsent(413, k -> new ArrayList<>());
    JsonObject out = new JsonObject();
    byHttp.forEach((http, codes) -> {
      String text = codes.isEmpty() ? "The body is larger than `limits.max_message_bytes`."
          : "The gRPC call's status was " + String.join(", ", codes) + ".";
      if (http == 400) {
        text += " Also a body that is not JSON, or not the message's JSON (`body: malformed JSON: ...`).";
      }
      JsonObject response = obj("description", text, "content", json(ref(ERROR)));
      if (http == 429 || http == 503) {
        response.add("headers", obj("Retry-After", obj("description", "Seconds to wait: 1.",
            "schema", type("integer"))));
      }
      out.add(Integer.toString(http), response);
    });
    return out;
  }

  private static String version() {
    String v = OpenApiDocument.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
