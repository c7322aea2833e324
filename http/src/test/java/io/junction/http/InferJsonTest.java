package io.junction.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class InferJsonTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static InferJson.Request json(String body) {
    return InferJson.request("m", "", utf8(body), -1);
  }

  /** What the service decodes the request's inputs into. */
  private static List<Tensor> tensors(ModelInferRequest r) {
    return TensorCodec.fromInputs(r.getInputsList(), r.getRawInputContentsList());
  }

  @Test
  void jsonDataBecomesTypedContentsNestedOrFlat() {
    InferJson.Request r = json("""
        {"id": "a", "inputs": [
          {"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2.5], [3, -4]]},
          {"name": "ids", "datatype": "INT64", "shape": [2], "data": [9007199254740993, -1]},
          {"name": "t", "datatype": "BYTES", "shape": [1], "data": ["héllo"]},
          {"name": "b", "datatype": "BOOL", "shape": [1], "data": [true]},
          {"name": "u", "datatype": "UINT64", "shape": [1], "data": [18446744073709551615]}],
         "outputs": [{"name": "y"}]}""");
    ModelInferRequest m = r.message();
    assertThat(m.getModelName()).isEqualTo("m");
    assertThat(m.getId()).isEqualTo("a");
    assertThat(m.getRawInputContentsCount()).isZero();
    assertThat(m.getOutputs(0).getName()).isEqualTo("y");
    List<Tensor> t = tensors(m);
    assertThat(t.get(0).floats()).containsExactly(1f, 2.5f, 3f, -4f);
    assertThat(t.get(0).shape()).containsExactly(2, 2);
    assertThat(t.get(1).longs()).containsExactly(9007199254740993L, -1L); // exact beyond a double's 53 bits
    assertThat(t.get(2).strings()).containsExactly("héllo");
    assertThat(m.getInputs(3).getContents().getBoolContentsList()).containsExactly(true);
    assertThat(m.getInputs(4).getContents().getUint64ContentsList()).containsExactly(-1L); // 2^64-1's bits
    assertThat(r.binary("y")).isFalse();
  }

  @Test
  void binaryDataFollowsTheHeaderAndMakesEveryInputRaw() {
    String header = """
        {"inputs": [
          {"name": "a", "datatype": "INT32", "shape": [2], "parameters": {"binary_data_size": 8}},
          {"name": "b", "datatype": "FP64", "shape": [1], "data": [0.5]}],
         "outputs": [{"name": "y", "parameters": {"binary_data": true}}, {"name": "z"}]}""";
    byte[] json = utf8(header);
    ByteBuffer body = ByteBuffer.allocate(json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    body.put(json).putInt(7).putInt(-3);
    InferJson.Request r = InferJson.request("m", "", body.array(), json.length);
    assertThat(r.message().getRawInputContentsCount()).isEqualTo(2);
    List<Tensor> t = tensors(r.message());
    assertThat(t.get(0).ints()).containsExactly(7, -3);
    assertThat(t.get(1).doubles()).containsExactly(0.5);
    assertThat(r.binary("y")).isTrue();
    assertThat(r.binary("z")).isFalse();
  }

  @Test
  void malformedOrMismatchedRequestsAreInvalidArgumentsThatSayWhere() {
    assertInvalid(() -> json("{\"inputs\": ["), "body: malformed JSON");
    assertInvalid(() -> json("{\"inputs\": []} x"), "body: malformed JSON");
    assertInvalid(() -> json("[]"), "body: [] (expected: a JSON object)");
    assertInvalid(() -> json("{\"inputs\": [], \"extra\": 1}"), "body.extra: unknown field");
    assertInvalid(() -> json("{}"), "inputs: missing (expected: a JSON array)");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP8\", \"shape\": [1], \"data\": [1]}]}"),
        "inputs[0].datatype: \"FP8\" (expected: one of");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"INT64\", \"shape\": [1.5], \"data\": [1]}]}"),
        "inputs[0].shape[0]: 1.5 (expected: an integer)");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"INT32\", \"shape\": [1], \"data\": [1.5]}]}"),
        "inputs[0].data[0]: 1.5 (expected: an integer for INT32)");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"UINT8\", \"shape\": [1], \"data\": [-1]}]}"),
        "inputs[0].data[0]: -1 (expected: 0..4294967295 for UINT8)");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"BOOL\", \"shape\": [1], \"data\": [1]}]}"),
        "inputs[0].data[0]: 1 (expected: true or false)");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"INT64\", \"shape\": [1]}]}"),
        "inputs[0].data: missing");
    assertInvalid(() -> json("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP16\", \"shape\": [1], \"data\": [1]}]}"),
        "FP16 in JSON");
    assertInvalid(() -> json("{\"inputs\": [], \"outputs\": [{\"name\": \"y\", \"parameters\": {\"classification\": 2}}]}"),
        "classification");
    assertInvalid(() -> InferJson.request("m", "", utf8("{\"inputs\": []}"), 3), "body: malformed JSON");
    assertInvalid(() -> InferJson.request("m", "", utf8("{}"), 9), "Inference-Header-Content-Length: 9");
    byte[] header = utf8("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"INT32\", \"shape\": [1],"
        + " \"parameters\": {\"binary_data_size\": 8}}]}");
    assertInvalid(() -> InferJson.request("m", "", Arrays.copyOf(header, header.length + 4), header.length),
        "inputs[0].parameters.binary_data_size: 8 (expected: 0..4");
    assertInvalid(() -> InferJson.request("m", "", Arrays.copyOf(utf8("{\"inputs\": []}"), 20), 14),
        "body: 6 bytes of binary data that no input claims");
  }

  @Test
  void tritonsTimeoutParameterIsReadInMicroseconds() {
    assertThat(json("{\"inputs\": []}").timeoutMicros()).isZero();
    assertThat(json("{\"inputs\": [], \"parameters\": {\"timeout\": 250000}}").timeoutMicros()).isEqualTo(250_000);
    assertInvalid(() -> json("{\"inputs\": [], \"parameters\": {\"timeout\": -1}}"),
        "parameters.timeout: -1 (expected: >= 0, in microseconds; 0 for none)");
    assertInvalid(() -> json("{\"inputs\": [], \"parameters\": {\"timeout\": \"1s\"}}"),
        "parameters.timeout: \"1s\" (expected: an integer)");
  }

  private static void assertInvalid(Runnable call, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(HttpFailure.class, f -> {
      assertThat(f.status()).isEqualTo(400);
      assertThat(f.getMessage()).contains(message);
    });
  }

  @Test
  void aResponseIsJsonExceptTheOutputsAskedInBinary() {
    Tensor items = Tensor.ofLongs("items", new long[] {1, 3}, 5, 6, 7);
    Tensor text = Tensor.ofStrings("text", new long[] {1}, List.of("ok"));
    ModelInferResponse response = TensorCodec.addRawOutputs(
        ModelInferResponse.newBuilder().setModelName("m").setId("q"), List.of(items, text)).build();

    InferJson.Answer plain = InferJson.response(json("{\"inputs\": []}"), response);
    assertThat(plain.headerLength()).isEqualTo(-1);
    JsonObject o = JsonParser.parseString(new String(plain.body(), StandardCharsets.UTF_8)).getAsJsonObject();
    assertThat(o.get("model_name").getAsString()).isEqualTo("m");
    assertThat(o.get("id").getAsString()).isEqualTo("q");
    JsonArray outputs = o.getAsJsonArray("outputs");
    assertThat(outputs.get(0).getAsJsonObject().get("shape").toString()).isEqualTo("[1,3]");
    assertThat(outputs.get(0).getAsJsonObject().get("data").toString()).isEqualTo("[5,6,7]");
    assertThat(outputs.get(1).getAsJsonObject().get("data").toString()).isEqualTo("[\"ok\"]");

    InferJson.Answer binary = InferJson.response(json(
        "{\"inputs\": [], \"outputs\": [{\"name\": \"items\", \"parameters\": {\"binary_data\": true}}, {\"name\": \"text\"}]}"),
        response);
    JsonObject h = JsonParser.parseString(new String(binary.body(), 0, binary.headerLength(), StandardCharsets.UTF_8))
        .getAsJsonObject();
    JsonObject first = h.getAsJsonArray("outputs").get(0).getAsJsonObject();
    assertThat(first.has("data")).isFalse();
    assertThat(first.getAsJsonObject("parameters").get("binary_data_size").getAsInt()).isEqualTo(24);
    assertThat(h.getAsJsonArray("outputs").get(1).getAsJsonObject().get("data").toString()).isEqualTo("[\"ok\"]");
    assertThat(ByteString.copyFrom(binary.body(), binary.headerLength(), 24)).isEqualTo(items.data());
    assertThat(binary.body()).hasSize(binary.headerLength() + 24);

    InferJson.Answer all = InferJson.response(json("{\"inputs\": [], \"parameters\": {\"binary_data_output\": true}}"), response);
    assertThat(all.body()).hasSize(all.headerLength() + 24 + text.data().size());
  }
}
