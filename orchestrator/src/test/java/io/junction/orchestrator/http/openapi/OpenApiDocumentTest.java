package io.junction.orchestrator.http.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The document of the HTTP routes: every route the HTTP side serves is in it (the lists here
 * are docs/http.md's table, written out, not read from the generator), with schemas that follow
 * the protobuf JSON mapping, the {@code .proto} comments as descriptions, and every reference
 * resolving. That it is valid OpenAPI 3 is checked by a validator against the live orchestrator
 * (e2e.ApiDocsEndToEndTest).
 */
class OpenApiDocumentTest {
  private static final JsonObject DOC = JsonParser.parseString(
      new String(OpenApiDocument.bytes(), StandardCharsets.UTF_8)).getAsJsonObject();

  /** The typed RPCs the HTTP side serves: path, gRPC method. */
  private static final Map<String, String> TYPED = Map.of(
      "/v1/converse", "junction.v1.ConversationService/Converse",
      "/v1/converse:stream", "junction.v1.ConversationService/ConverseStream",
      "/v1/recommend", "junction.v1.RecommendationService/Recommend",
      "/v1/pipelines/{name}:run", "junction.v1.PipelineService/Run");

  /** The Open Inference Protocol's REST routes: path, method. */
  private static final Map<String, String> OIP = Map.of(
      "/v2", "get",
      "/v2/health/live", "get",
      "/v2/health/ready", "get",
      "/v2/models/{name}", "get",
      "/v2/models/{name}/ready", "get",
      "/v2/models/{name}/infer", "post",
      "/v2/models/{name}/versions/{version}", "get",
      "/v2/models/{name}/versions/{version}/ready", "get",
      "/v2/models/{name}/versions/{version}/infer", "post");

  @Test
  void everyTypedRpcIsAPostWithTheMessagesSchemas() {
    TYPED.forEach((path, rpc) -> {
      JsonObject op = operation(path, "post");
      assertThat(op.get("summary").getAsString()).as(path).isEqualTo(rpc);
      assertThat(op.get("description").getAsString()).as(path).isNotBlank();
      JsonObject request = resolve(op.getAsJsonObject("requestBody").getAsJsonObject("content")
          .getAsJsonObject("application/json").getAsJsonObject("schema"));
      assertThat(request.getAsJsonObject("properties").keySet()).as(path).isNotEmpty();
      assertThat(op.getAsJsonObject("responses").keySet()).as(path).contains("200", "400", "404", "413", "429", "503");
    });
    assertThat(operation("/v1/recommend", "post").getAsJsonObject("responses").getAsJsonObject("200")
        .getAsJsonObject("content").getAsJsonObject("application/json").getAsJsonObject("schema")
        .get("$ref").getAsString()).isEqualTo("#/components/schemas/junction.v1.RecommendResponse");
    JsonObject stream = operation("/v1/converse:stream", "post").getAsJsonObject("responses").getAsJsonObject("200")
        .getAsJsonObject("content");
    assertThat(stream.keySet()).containsExactly("text/event-stream");
    assertThat(stream.toString()).contains("junction.v1.ConverseEvent");
    assertThat(schema("junction.v1.ConverseEvent")).isNotNull();
    assertThat(parameterNames(operation("/v1/pipelines/{name}:run", "post"))).contains("name");
  }

  @Test
  void everyModelOrRpcCallTakesTheGrpcTimeoutHeader() {
    JsonObject timeout = DOC.getAsJsonObject("components").getAsJsonObject("parameters").getAsJsonObject("timeout");
    assertThat(timeout.get("name").getAsString()).isEqualTo("Grpc-Timeout");
    assertThat(timeout.get("in").getAsString()).isEqualTo("header");
    JsonObject timeoutRef = new JsonObject();
    timeoutRef.addProperty("$ref", "#/components/parameters/timeout");
    TYPED.keySet().forEach(path -> assertThat(operation(path, "post").getAsJsonArray("parameters")).as(path)
        .contains(timeoutRef));
    assertThat(operation("/v2/models/{name}/infer", "post").getAsJsonArray("parameters")).contains(timeoutRef);
  }

  @Test
  void everyOpenInferenceRouteIsThereWithItsAnswer() {
    OIP.forEach((path, method) -> {
      JsonObject op = operation(path, method);
      JsonObject ok = op.getAsJsonObject("responses").getAsJsonObject("200");
      assertThat(ok.getAsJsonObject("content").getAsJsonObject("application/json").getAsJsonObject("schema")
          .get("$ref")).as(path).isNotNull();
      for (String param : List.of("name", "version")) {
        assertThat(parameterNames(op).contains(param)).as(path + " declares {" + param + "}")
            .isEqualTo(path.contains("{" + param + "}"));
      }
    });
    JsonObject infer = operation("/v2/models/{name}/infer", "post");
    assertThat(infer.getAsJsonObject("requestBody").getAsJsonObject("content").keySet())
        .containsExactlyInAnyOrder("application/json", "application/octet-stream");
    assertThat(resolve(ref("oip.InferenceRequest")).getAsJsonObject("properties").keySet())
        .containsExactlyInAnyOrder("id", "parameters", "inputs", "outputs");
    assertThat(resolve(ref("oip.InferenceResponse")).getAsJsonObject("properties").keySet())
        .contains("model_name", "model_version", "outputs");
  }

  @Test
  void schemasFollowTheProtobufJsonMappingWithTheProtoComments() {
    JsonObject userId = schema("junction.v1.RecommendRequest").getAsJsonObject("properties").getAsJsonObject("userId");
    assertThat(userId.get("type").getAsString()).isEqualTo("string"); // int64 is a string
    assertThat(userId.get("format").getAsString()).isEqualTo("int64");
    assertThat(userId.get("description").getAsString()).startsWith("The user, an id in [0, number of users)");
    JsonObject k = schema("junction.v1.RecommendRequest").getAsJsonObject("properties").getAsJsonObject("k");
    assertThat(k.get("type").getAsString()).isEqualTo("integer");
    assertThat(schema("junction.v1.RecommendResponse").getAsJsonObject("properties").getAsJsonObject("items")
        .get("type").getAsString()).isEqualTo("array");
    assertThat(schema("junction.v1.RunPipelineRequest").getAsJsonObject("properties").keySet())
        .contains("pipeline", "inputs", "outputs");
  }

  @Test
  void errorsNameTheirGrpcCodesAndHttpOnlyOnes() {
    JsonObject responses = DOC.getAsJsonObject("components").getAsJsonObject("responses");
    assertThat(responses.getAsJsonObject("400").get("description").getAsString())
        .contains("INVALID_ARGUMENT", "FAILED_PRECONDITION", "malformed JSON");
    assertThat(responses.getAsJsonObject("404").get("description").getAsString()).contains("NOT_FOUND");
    assertThat(responses.getAsJsonObject("429").getAsJsonObject("headers").keySet()).contains("Retry-After");
    assertThat(responses.getAsJsonObject("413").get("description").getAsString()).contains("max_message_bytes");
    assertThat(operation("/v2/health/live", "get").getAsJsonObject("responses").keySet()).doesNotContain("413");
  }

  @Test
  void everyReferenceResolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(DOC, refs);
    assertThat(refs).hasSizeGreaterThan(20);
    for (String r : refs) {
      assertThat(r).startsWith("#/");
      JsonElement at = DOC;
      for (String part : r.substring(2).split("/")) {
        assertThat(at.isJsonObject() && at.getAsJsonObject().has(part)).as(r).isTrue();
        at = at.getAsJsonObject().get(part);
      }
    }
  }

  private static void collectRefs(JsonElement e, List<String> out) {
    if (e.isJsonObject()) {
      e.getAsJsonObject().entrySet().forEach(en -> {
        if (en.getKey().equals("$ref")) {
          out.add(en.getValue().getAsString());
        } else {
          collectRefs(en.getValue(), out);
        }
      });
    } else if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> collectRefs(x, out));
    }
  }

  private static JsonObject operation(String path, String method) {
    JsonObject item = DOC.getAsJsonObject("paths").getAsJsonObject(path);
    assertThat(item).as("path %s in the document", path).isNotNull();
    JsonObject op = item.getAsJsonObject(method);
    assertThat(op).as("%s %s in the document", method, path).isNotNull();
    return op;
  }

  private static List<String> parameterNames(JsonObject op) {
    List<String> names = new ArrayList<>();
    if (!op.has("parameters")) {
      return names;
    }
    op.getAsJsonArray("parameters").forEach(p -> {
      JsonObject o = p.getAsJsonObject();
      if (o.has("name")) {
        names.add(o.get("name").getAsString());
      }
    });
    return names;
  }

  private static JsonObject ref(String component) {
    JsonObject r = new JsonObject();
    r.addProperty("$ref", "#/components/schemas/" + component);
    return r;
  }

  private static JsonObject resolve(JsonObject schema) {
    String ref = schema.get("$ref").getAsString();
    return schema(ref.substring("#/components/schemas/".length()));
  }

  private static JsonObject schema(String name) {
    JsonObject s = DOC.getAsJsonObject("components").getAsJsonObject("schemas").getAsJsonObject(name);
    assertThat(s).as("schema %s", name).isNotNull();
    return s;
  }
}
