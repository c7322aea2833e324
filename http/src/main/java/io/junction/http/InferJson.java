package io.junction.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.tensor.TensorFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The Open Inference Protocol's REST inference body, to and from the gRPC messages that
 * {@code ModelInfer} takes and gives, with the binary tensor data extension that
 * {@code tritonclient.http} uses: a JSON header of {@code Inference-Header-Content-Length}
 * bytes, then the tensors whose {@code parameters.binary_data_size} says so, in order.
 *
 * <p>It converts notation only. A request whose inputs are all JSON becomes typed contents; one
 * with any binary input becomes raw contents throughout (the protocol does not mix the two), so
 * what the service checks (names, counts, shapes, limits) it checks for HTTP as for gRPC.
 */
final class InferJson {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final Set<String> REQUEST_FIELDS = Set.of("id", "parameters", "inputs", "outputs");

  private InferJson() {}

  /**
   * A parsed request, which outputs are to be answered in binary form, and Triton's
   * {@code timeout} parameter (schedule policy extension: microseconds; 0 when absent, no timeout).
   */
  record Request(ModelInferRequest message, boolean allBinary, Set<String> binaryOutputs, long timeoutMicros) {
    boolean binary(String output) {
      return allBinary || binaryOutputs.contains(output);
    }
  }

  /** An answer body: {@code headerLength} is the JSON part's length when binary data follows, else -1. */
  record Answer(byte[] body, int headerLength) {}

  /**
   * @param body         the whole request body
   * @param headerLength the {@value #HEADER_LENGTH} header, or -1 when absent (all JSON)
   */
  static Request request(String model, String version, byte[] body, int headerLength) {
    if (headerLength > body.length) {
      throw HttpFailure.invalid(HEADER_LENGTH + ": " + headerLength + " (expected: at most the body's " + body.length
          + " bytes)");
    }
    int jsonLength = headerLength < 0 ? body.length : headerLength;
    JsonObject json = Json.object("body", new String(body, 0, jsonLength, StandardCharsets.UTF_8));
    for (String key : json.keySet()) {
      if (!REQUEST_FIELDS.contains(key)) {
        throw HttpFailure.invalid("body." + key + ": unknown field (expected: one of " + REQUEST_FIELDS + ")");
      }
    }
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version);
    if (json.has("id")) {
      b.setId(Json.string("id", json.get("id")));
    }
    JsonObject parameters = Json.optObject("parameters", json.get("parameters"));
    boolean allBinary = Json.optBool("parameters.binary_data_output", parameters.get("binary_data_output"));
    long timeout = 0;
    if (parameters.has("timeout")) {
      timeout = Json.integer("parameters.timeout", parameters.get("timeout"));
      if (timeout < 0) {
        throw HttpFailure.invalid("parameters.timeout: " + timeout + " (expected: >= 0, in microseconds; 0 for none)");
      }
    }
    inputs(b, Json.array("inputs", json.get("inputs")), body, jsonLength);
    Set<String> binaryOutputs = new HashSet<>();
    if (json.has("outputs")) {
      JsonArray outputs = Json.array("outputs", json.get("outputs"));
      for (int i = 0; i < outputs.size(); i++) {
        String where = "outputs[" + i + "]";
        JsonObject o = Json.object(where, outputs.get(i));
        String name = Json.string(where + ".name", o.get("name"));
        JsonObject p = Json.optObject(where + ".parameters", o.get("parameters"));
        if (p.has("classification")) {
          throw HttpFailure.invalid(where + ".parameters.classification: " + p.get("classification")
              + " (expected: absent; the classification extension is not supported)");
        }
        if (Json.optBool(where + ".parameters.binary_data", p.get("binary_data"))) {
          binaryOutputs.add(name);
        }
        b.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(name));
      }
    }
    return new Request(b.build(), allBinary, binaryOutputs, timeout);
  }

  private static void inputs(ModelInferRequest.Builder b, JsonArray inputs, byte[] body, int offset) {
    ModelInferRequest.InferInputTensor[] headers = new ModelInferRequest.InferInputTensor[inputs.size()];
    ByteString[] binary = new ByteString[inputs.size()];
    boolean anyBinary = false;
    int at = offset;
    for (int i = 0; i < inputs.size(); i++) {
      String where = "inputs[" + i + "]";
      JsonObject in = Json.object(where, inputs.get(i));
      String name = Json.string(where + ".name", in.get("name"));
      String datatype = Json.string(where + ".datatype", in.get("datatype"));
      DataType type = DataType.fromName(datatype).orElseThrow(() -> HttpFailure.invalid(
          where + ".datatype: \"" + datatype + "\" (expected: one of " + DataType.names() + ")"));
      ModelInferRequest.InferInputTensor.Builder t = ModelInferRequest.InferInputTensor.newBuilder()
          .setName(name).setDatatype(datatype);
      JsonArray shape = Json.array(where + ".shape", in.get("shape"));
      for (int d = 0; d < shape.size(); d++) {
        t.addShape(Json.integer(where + ".shape[" + d + "]", shape.get(d)));
      }
      JsonObject p = Json.optObject(where + ".parameters", in.get("parameters"));
      if (p.has("binary_data_size")) {
        long size = Json.integer(where + ".parameters.binary_data_size", p.get("binary_data_size"));
        if (in.has("data")) {
          throw HttpFailure.invalid(where + ": both data and parameters.binary_data_size (expected: one of them)");
        }
        if (size < 0 || size > body.length - at) {
          throw HttpFailure.invalid(where + ".parameters.binary_data_size: " + size + " (expected: 0.." + (body.length - at)
              + ", the binary data left after the JSON header)");
        }
        binary[i] = ByteString.copyFrom(body, at, (int) size);
        at += (int) size;
        anyBinary = true;
      } else {
        if (!in.has("data")) {
          throw HttpFailure.invalid(where + ".data: missing (expected: the values, or parameters.binary_data_size)");
        }
        t.setContents(JsonTensors.contents(where + ".data", type, in.get("data")));
      }
      headers[i] = t.build();
    }
    if (at != body.length) {
      throw HttpFailure.invalid("body: " + (body.length - at) + " bytes of binary data that no input claims"
          + " (expected: the sum of inputs[].parameters.binary_data_size)");
    }
    for (int i = 0; i < headers.length; i++) {
      if (!anyBinary) {
        b.addInputs(headers[i]);
      } else if (binary[i] != null) {
        b.addInputs(headers[i]).addRawInputContents(binary[i]);
      } else {
        Tensor typed = decoded(headers[i]);
        b.addInputs(TensorCodec.toRawInputHeader(typed)).addRawInputContents(typed.data());
      }
    }
  }

  /** A JSON input beside binary ones: raw, since the protocol does not mix the two forms. */
  private static Tensor decoded(ModelInferRequest.InferInputTensor typed) {
    try {
      return TensorCodec.fromInputs(List.of(typed), List.of()).get(0);
    } catch (TensorFormatException e) {
      throw HttpFailure.invalid(e.getMessage());
    }
  }

  /** The REST answer to {@code request}: outputs in JSON, or binary where it asked so. */
  static Answer response(Request request, ModelInferResponse response) {
    List<Tensor> outputs = TensorCodec.fromOutputs(response.getOutputsList(), response.getRawOutputContentsList());
    JsonObject json = new JsonObject();
    json.addProperty("model_name", response.getModelName());
    json.addProperty("model_version", response.getModelVersion());
    if (!response.getId().isEmpty()) {
      json.addProperty("id", response.getId());
    }
    JsonArray out = new JsonArray();
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    for (Tensor t : outputs) {
      JsonObject o = new JsonObject();
      o.addProperty("name", t.name());
      o.addProperty("datatype", t.datatype().name());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) {
        shape.add(d);
      }
      o.add("shape", shape);
      if (request.binary(t.name())) {
        JsonObject p = new JsonObject();
        p.addProperty("binary_data_size", t.data().size());
        o.add("parameters", p);
        binary.writeBytes(t.data().toByteArray());
      } else {
        o.add("data", JsonTensors.data(t));
      }
      out.add(o);
    }
    json.add("outputs", out);
    byte[] header = Json.bytes(json);
    if (binary.size() == 0) {
      return new Answer(header, -1);
    }
    byte[] body = new byte[header.length + binary.size()];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(binary.toByteArray(), 0, body, header.length, binary.size());
    return new Answer(body, header.length);
  }
}
