package io.junction.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.inference.ServerMetadataResponse;
import io.junction.proto.inference.ServerReadyRequest;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Open Inference Protocol's REST routes under {@code /v2}: each is one call of the
 * process's own {@code GRPCInferenceService} (over an in-process channel), with its
 * request and answer converted between JSON and the protobuf messages. Health that is false is
 * 503, so that a balancer's HTTP check reads it; tritonclient.http reads any non-200 as false.
 */
public final class InferenceRoutes {
  private final GRPCInferenceServiceFutureStub stub;

  /** @param channel reaches the process's own GRPCInferenceService */
  public InferenceRoutes(Channel channel) {
    this.stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
  }

  /** Answers {@code segments} (the path after /v2, split at '/'); false when no route matches. */
  public boolean serve(HttpCall call, List<String> path) throws IOException {
    GRPCInferenceServiceFutureStub s = call.stub(stub);
    if (path.isEmpty()) {
      Routes.require(call, "GET");
      ServerMetadataResponse m = HttpCall.await(s.serverMetadata(ServerMetadataRequest.getDefaultInstance()));
      JsonObject o = new JsonObject();
      o.addProperty("name", m.getName());
      o.addProperty("version", m.getVersion());
      o.add("extensions", new JsonArray());
      call.json(200, o);
      return true;
    }
    if (path.size() == 2 && path.get(0).equals("health") && (path.get(1).equals("live") || path.get(1).equals("ready"))) {
      Routes.require(call, "GET");
      boolean ok = path.get(1).equals("live")
          ? HttpCall.await(s.serverLive(ServerLiveRequest.getDefaultInstance())).getLive()
          : HttpCall.await(s.serverReady(ServerReadyRequest.getDefaultInstance())).getReady();
      health(call, path.get(1), ok);
      return true;
    }
    if (path.size() < 2 || !path.get(0).equals("models")) {
      return false;
    }
    String name = path.get(1);
    List<String> rest = path.subList(2, path.size());
    String version = "";
    if (rest.size() >= 2 && rest.get(0).equals("versions")) {
      version = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    if (rest.isEmpty()) {
      Routes.require(call, "GET");
      call.json(200, metadata(HttpCall.await(
          s.modelMetadata(ModelMetadataRequest.newBuilder().setName(name).setVersion(version).build()))));
    } else if (rest.equals(List.of("ready"))) {
      Routes.require(call, "GET");
      health(call, "ready", HttpCall.await(
          s.modelReady(ModelReadyRequest.newBuilder().setName(name).setVersion(version).build())).getReady());
    } else if (rest.equals(List.of("infer"))) {
      Routes.require(call, "POST");
      infer(call, s, name, version);
    } else {
      return false;
    }
    return true;
  }

  private static void infer(HttpCall call, GRPCInferenceServiceFutureStub s, String name, String version) throws IOException {
    byte[] body = call.body();
    String length = call.header(InferJson.HEADER_LENGTH);
    int headerLength = -1;
    if (length != null) {
      try {
        headerLength = Integer.parseInt(length.trim());
      } catch (NumberFormatException e) {
        headerLength = -2;
      }
      if (headerLength < 0) {
        throw HttpFailure.invalid(InferJson.HEADER_LENGTH + ": " + length + " (expected: a number of bytes >= 0)");
      }
    }
    InferJson.Request request = InferJson.request(name, version, body, headerLength);
    if (request.timeoutMicros() > 0) {
      // Triton's timeout parameter: the call's deadline too, the earlier one when both are given
      Deadline timeout = Deadline.after(request.timeoutMicros(), TimeUnit.MICROSECONDS);
      Deadline header = s.getCallOptions().getDeadline();
      s = s.withDeadline(header == null ? timeout : header.minimum(timeout));
    }
    ModelInferResponse response = HttpCall.await(s.modelInfer(request.message()));
    InferJson.Answer answer = InferJson.response(request, response);
    if (answer.headerLength() < 0) {
      call.send(200, HttpCall.JSON, answer.body());
    } else {
      call.exchange().getResponseHeaders().set(InferJson.HEADER_LENGTH, Integer.toString(answer.headerLength()));
      call.send(200, "application/octet-stream", answer.body());
    }
  }

  private static void health(HttpCall call, String key, boolean ok) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty(key, ok);
    call.json(ok ? 200 : 503, o);
  }

  private static JsonObject metadata(ModelMetadataResponse m) {
    JsonObject o = new JsonObject();
    o.addProperty("name", m.getName());
    JsonArray versions = new JsonArray();
    m.getVersionsList().forEach(versions::add);
    o.add("versions", versions);
    o.addProperty("platform", m.getPlatform());
    o.add("inputs", tensors(m.getInputsList()));
    o.add("outputs", tensors(m.getOutputsList()));
    return o;
  }

  private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> tensors) {
    JsonArray out = new JsonArray();
    for (ModelMetadataResponse.TensorMetadata t : tensors) {
      JsonObject o = new JsonObject();
      o.addProperty("name", t.getName());
      o.addProperty("datatype", t.getDatatype());
      JsonArray shape = new JsonArray();
      t.getShapeList().forEach(shape::add);
      o.add("shape", shape);
      out.add(o);
    }
    return out;
  }
}
