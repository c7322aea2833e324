package io.junction.orchestrator.http.openapi;

import static io.junction.orchestrator.http.openapi.Oas.arr;
import static io.junction.orchestrator.http.openapi.Oas.arrayOf;
import static io.junction.orchestrator.http.openapi.Oas.json;
import static io.junction.orchestrator.http.openapi.Oas.obj;
import static io.junction.orchestrator.http.openapi.Oas.object;
import static io.junction.orchestrator.http.openapi.Oas.ref;
import static io.junction.orchestrator.http.openapi.Oas.type;

import com.google.gson.JsonObject;
import java.util.Map;

/**
 * The {@code /v2} routes in the document: the Open Inference Protocol's REST form (KServe's
 * "Predict Protocol, version 2" REST API, which Triton's HTTP endpoint and tritonclient.http
 * speak), with Triton's binary tensor data extension. Their JSON is the one that protocol
 * defines (snake_case names, tensors as {@code data} arrays), not the protobuf JSON mapping of
 * grpc_service.proto, so these schemas are written here from the protocol's specification, in
 * this one place, rather than derived from the protos as the {@code /v1} ones are. They describe
 * what docs/http.md says Junction accepts of that protocol.
 */
final class OipRestPaths {
  static final String TAG = "Open Inference Protocol (REST)";
  private static final String P = "oip.";

  private OipRestPaths() {}

  /** The schemas these paths refer to, by component name. */
  static void addSchemas(Map<String, JsonObject> schemas) {
    JsonObject parameters = obj("type", "object", "additionalProperties", true,
        "description", "Protocol parameters by name: a string, number or boolean each.");
    JsonObject datatype = obj("type", "string", "description", "The tensor's element type.",
        "enum", arr("BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32",
            "FP64", "BYTES"));
    JsonObject shape = obj("type", "array", "items", obj("type", "integer", "format", "int64"),
        "description", "The tensor's shape; -1 in metadata is a dimension of any size.");
    schemas.put(P + "Parameters", parameters);
    schemas.put(P + "Datatype", datatype);
    schemas.put(P + "ServerMetadataResponse", object("The server's name, version and protocol extensions.",
        "name", type("string"), "version", type("string"), "extensions", arrayOf(type("string"))));
    schemas.put(P + "LiveResponse", object("Whether the server is live.", "live", type("boolean")));
    schemas.put(P + "ReadyResponse", object("Whether the server (or the model) is ready.", "ready", type("boolean")));
    schemas.put(P + "MetadataTensor", object("An input or output of a model or pipeline.",
        "name", type("string"), "datatype", ref(P + "Datatype"), "shape", shape));
    schemas.put(P + "ModelMetadataResponse", object("A model's or pipeline's metadata; a pipeline's platform is"
            + " `ensemble`.",
        "name", type("string"), "versions", arrayOf(type("string")), "platform", type("string"),
        "inputs", arrayOf(ref(P + "MetadataTensor")), "outputs", arrayOf(ref(P + "MetadataTensor"))));
    JsonObject data = obj("type", "array", "items", obj(),
        "description", "The elements in row-major order, flat or nested: numbers (the integer types exact, INT64"
            + " and UINT64 to their full range), booleans for BOOL, UTF-8 strings for BYTES. FP16 has no JSON form."
            + " Absent when the tensor travels as binary data (`parameters.binary_data_size`).");
    schemas.put(P + "RequestInput", obj("type", "object", "required", arr("name", "datatype", "shape"),
        "description", "An input tensor.", "properties", obj("name", type("string"), "datatype", ref(P + "Datatype"),
            "shape", shape, "parameters", ref(P + "Parameters"), "data", data)));
    schemas.put(P + "RequestOutput", object("An output asked for; `parameters.binary_data: true` asks for it as"
        + " binary data.", "name", type("string"), "parameters", ref(P + "Parameters")));
    schemas.put(P + "InferenceRequest", obj("type", "object", "required", arr("inputs"),
        "description", "An inference request. `outputs` left out means every output. The request parameter"
            + " `binary_data_output: true` asks for every output as binary data.",
        "properties", obj("id", type("string"), "parameters", ref(P + "Parameters"),
            "inputs", arrayOf(ref(P + "RequestInput")), "outputs", arrayOf(ref(P + "RequestOutput")))));
    schemas.put(P + "ResponseOutput", object("An output tensor.", "name", type("string"),
        "datatype", ref(P + "Datatype"), "shape", shape, "parameters", ref(P + "Parameters"), "data", data));
    schemas.put(P + "InferenceResponse", object("An inference response.", "model_name", type("string"),
        "model_version", type("string"), "id", type("string"), "parameters", ref(P + "Parameters"),
        "outputs", arrayOf(ref(P + "ResponseOutput"))));
  }

  /** The paths, each operation with {@code errors} (for GET) or {@code postErrors} (for POST) beside its answer. */
  static void addPaths(JsonObject paths, JsonObject getErrors, JsonObject postErrors) {
    paths.add("/v2", obj("get", get("ServerMetadata", "The server's metadata.", json(ref(P + "ServerMetadataResponse")),
        getErrors)));
    paths.add("/v2/health/live", obj("get", get("ServerLive", "Whether the server is live (it answers).",
        json(ref(P + "LiveResponse")), getErrors)));
    paths.add("/v2/health/ready", obj("get", ready("ServerReady", "Whether every pool has a READY replica; 503 when"
        + " not, so that a balancer's HTTP check reads it.", getErrors)));
    for (boolean versioned : new boolean[] {false, true}) {
      String base = "/v2/models/{name}" + (versioned ? "/versions/{version}" : "");
      String suffix = versioned ? "Version" : "";
      JsonObject metadata = get("ModelMetadata" + suffix, "A model's or pipeline's metadata (pipelines are found"
          + " first, as on gRPC).", json(ref(P + "ModelMetadataResponse")), getErrors);
      JsonObject ready = ready("ModelReady" + suffix, "Whether the model or pipeline can serve; 503 when not.", getErrors);
      JsonObject infer = infer(postErrors);
      infer.addProperty("operationId", "ModelInfer" + suffix);
      for (JsonObject op : new JsonObject[] {metadata, ready, infer}) {
        op.add("parameters", versioned ? arr(name(), version()) : arr(name()));
        op.getAsJsonArray("parameters").add(ref(OpenApiDocument.PRIORITY_PARAMETER, "parameters"));
        op.getAsJsonArray("parameters").add(ref(OpenApiDocument.TIMEOUT_PARAMETER, "parameters"));
      }
      infer.getAsJsonArray("parameters").add(obj("name", "Inference-Header-Content-Length", "in", "header",
          "schema", obj("type", "integer", "minimum", 0),
          "description", "With a binary body (application/octet-stream): how many of its bytes are the JSON."));
      paths.add(base, obj("get", metadata));
      paths.add(base + "/ready", obj("get", ready));
      paths.add(base + "/infer", obj("post", infer));
    }
  }

  private static JsonObject get(String id, String summary, JsonObject content, JsonObject errors) {
    JsonObject responses = obj("200", obj("description", "OK", "content", content));
    errors.entrySet().forEach(e -> responses.add(e.getKey(), e.getValue()));
    return obj("tags", arr(TAG), "operationId", id, "summary", "GRPCInferenceService/" + id.replace("Version", ""),
        "description", summary, "responses", responses);
  }

  private static JsonObject ready(String id, String summary, JsonObject errors) {
    JsonObject op = get(id, summary, json(ref(P + "ReadyResponse")), errors);
    op.getAsJsonObject("responses").add("503", obj("description", "Not ready (`{\"ready\": false}`), or the call"
        + " failed with UNAVAILABLE (`{\"error\": ...}`, with `Retry-After: 1`).",
        "content", json(obj("oneOf", arr(ref(P + "ReadyResponse"), ref(OpenApiDocument.ERROR))))));
    return op;
  }

  private static JsonObject infer(JsonObject errors) {
    JsonObject binaryRequest = obj("schema", obj("type", "string", "format", "binary",
        "description", "Triton's binary tensor data extension: the JSON request (its length in the"
            + " `Inference-Header-Content-Length` header), then each input with `parameters.binary_data_size` N"
            + " and no `data` as its next N bytes, in the order of the inputs (little-endian; a BYTES element is"
            + " a 4-byte little-endian length and its bytes)."));
    JsonObject binaryAnswer = obj("schema", obj("type", "string", "format", "binary",
        "description", "The JSON answer (its length in the `Inference-Header-Content-Length` header), then the"
            + " outputs asked for as binary data, in order, each with `parameters.binary_data_size` instead of"
            + " `data`."));
    JsonObject content = json(ref(P + "InferenceResponse"));
    content.add("application/octet-stream", binaryAnswer);
    JsonObject op = get("ModelInfer", "Runs the model or pipeline on the request's inputs. The classification"
        + " extension is refused.", content, errors);
    JsonObject requestContent = json(ref(P + "InferenceRequest"));
    requestContent.add("application/octet-stream", binaryRequest);
    op.add("requestBody", obj("required", true, "content", requestContent));
    op.getAsJsonObject("responses").getAsJsonObject("200").add("headers", obj("Inference-Header-Content-Length",
        obj("description", "With a binary answer: how many bytes of it are the JSON.",
            "schema", obj("type", "integer"))));
    return op;
  }

  private static JsonObject name() {
    return obj("name", "name", "in", "path", "required", true, "schema", type("string"),
        "description", "A pipeline or a model (pipelines first, as on gRPC).");
  }

  private static JsonObject version() {
    return obj("name", "version", "in", "path", "required", true, "schema", type("string"),
        "description", "Junction serves one version of each name, so a version here is refused (400); the"
            + " route exists because the protocol has it.");
  }
}
