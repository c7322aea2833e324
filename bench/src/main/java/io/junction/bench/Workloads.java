package io.junction.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.ScoredItem;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The requests and answer checks of each workload, for each way of calling a system. A reference
 * file gives the cases: {@code {"workload": "...", "cases": [...]}} where a case is
 * <ul>
 *   <li>threestep: {@code {"x": [16 floats], "y": [8 floats], "<model>": [its output]...}}
 *   <li>recommend: {@code {"user_id": 7, "k": 10, "items": [...], "scores": [...]}}
 *   <li>chat: {@code {"text": "...", "intent": "...", "tokens": [...]}}
 * </ul>
 */
final class Workloads {
  private Workloads() {}

  /** Where and how to call, from the command line. */
  record Call(String protocol, String host, int port, String url, int connections, int ioThreads,
      long deadlineMillis, String pipeline, String model, String inputName, String outputName, String expect) {}

  static Target target(String workload, JsonArray cases, Call c) {
    List<JsonObject> cs = new ArrayList<>();
    cases.forEach(e -> cs.add(e.getAsJsonObject()));
    if (cs.isEmpty()) {
      throw new IllegalArgumentException("reference: no cases (expected: at least one)");
    }
    // Parsed once: the checks run on the event loops, once per answer.
    List<Expected> want = cs.stream().map(k -> Expected.of(workload, k, c.expect())).toList();
    return switch (workload + "/" + c.protocol()) {
      case "threestep/junction-run" -> grpc(c, PipelineServiceGrpc.getRunMethod(), cs, Workloads::runRequest,
          (r, e) -> Answers.floats(c.outputName(), pipelineFloats(r, c.outputName()), e.floats()), want);
      case "threestep/oip" -> grpc(c, GRPCInferenceServiceGrpc.getModelInferMethod(), cs, Workloads::inferRequest,
          (r, e) -> Answers.floats(c.outputName(), inferFloats(r, c.outputName()), e.floats()), want);
      case "threestep/http" -> http(c, cs, k -> "{\"inputs\": [" + k.get("x") + "]}",
          (j, e) -> Answers.floats("outputs", Answers.jsonFloats(j.getAsJsonObject().get("outputs")), e.floats()), want);
      case "threestep/oip-http" -> http(c, cs,
          k -> "{\"inputs\": [{\"name\": \"" + c.inputName() + "\", \"datatype\": \"FP32\", \"shape\": [1, "
              + k.getAsJsonArray("x").size() + "], \"data\": " + k.get("x") + "}]}",
          (j, e) -> Answers.floats(c.outputName(), oipJsonFloats(j, c.outputName()), e.floats()), want);
      case "recommend/junction-typed" -> grpc(c, RecommendationServiceGrpc.getRecommendMethod(), cs,
          (k, call) -> RecommendRequest.newBuilder().setUserId(k.get("user_id").getAsLong())
              .setK(k.get("k").getAsInt()).build(),
          (r, e) -> ranked(r.getItemsList().stream().map(ScoredItem::getItemId).toList(),
              r.getItemsList().stream().map(ScoredItem::getScore).toList(), e), want);
      case "recommend/http" -> http(c, cs,
          k -> "{\"user_id\": " + k.get("user_id") + ", \"k\": " + k.get("k") + "}",
          (j, e) -> {
            List<Long> ids = new ArrayList<>();
            List<Float> scores = new ArrayList<>();
            j.getAsJsonObject().getAsJsonArray("items").forEach(i -> {
              ids.add(i.getAsJsonObject().get("item_id").getAsLong());
              scores.add(i.getAsJsonObject().get("score").getAsFloat());
            });
            return ranked(ids, scores, e);
          }, want);
      case "chat/junction-typed" -> grpc(c, ConversationServiceGrpc.getConverseMethod(), cs,
          (k, call) -> ConverseRequest.newBuilder().setText(k.get("text").getAsString()).build(),
          (r, e) -> reply(r.getIntent(), r.getTokensList(), e), want);
      case "chat/http" -> http(c, cs, k -> "{\"text\": " + k.get("text") + "}",
          (j, e) -> {
            List<String> tokens = new ArrayList<>();
            j.getAsJsonObject().getAsJsonArray("tokens").forEach(t -> tokens.add(t.getAsString()));
            return reply(j.getAsJsonObject().get("intent").getAsString(), tokens, e);
          }, want);
      default -> throw new IllegalArgumentException("workload/protocol: " + workload + "/" + c.protocol()
          + " (expected: threestep with junction-run, oip, oip-http or http; recommend or chat with junction-typed or http)");
    };
  }

  private interface Build<Q> {
    Q apply(JsonObject kase, Call call);
  }

  private interface Check<R> {
    String apply(R answer, Expected want);
  }

  /** A case's expected answer: the fields of its workload, the others null. */
  record Expected(float[] floats, long[] items, float[] scores, String intent, List<String> tokens) {
    static Expected of(String workload, JsonObject k, String expectKey) {
      return switch (workload) {
        case "threestep" -> new Expected(Workloads.floats(k, expectKey), null, null, null, null);
        case "recommend" -> {
          List<Long> items = new ArrayList<>();
          k.getAsJsonArray("items").forEach(e -> items.add(e.getAsLong()));
          yield new Expected(null, Answers.toLongs(items), Workloads.floats(k, "scores"), null, null);
        }
        case "chat" -> {
          List<String> tokens = new ArrayList<>();
          k.getAsJsonArray("tokens").forEach(e -> tokens.add(e.getAsString()));
          yield new Expected(null, null, null, k.get("intent").getAsString(), List.copyOf(tokens));
        }
        default -> throw new IllegalArgumentException("workload: " + workload + " (expected: threestep, recommend or chat)");
      };
    }
  }

  private static <Q, R> Target grpc(Call c, io.grpc.MethodDescriptor<Q, R> method, List<JsonObject> cases,
      Build<Q> build, Check<R> check, List<Expected> want) {
    List<Q> requests = cases.stream().map(k -> build.apply(k, c)).toList();
    return new GrpcTarget<>(c.host(), c.port(), c.connections(), c.ioThreads(), c.deadlineMillis(), method,
        requests, (answer, i) -> check.apply(answer, want.get(i)));
  }

  private static Target http(Call c, List<JsonObject> cases, Function<JsonObject, String> body,
      Check<JsonElement> check, List<Expected> want) {
    List<String> bodies = cases.stream().map(body).toList();
    return new HttpTarget(java.net.URI.create(c.url()), c.ioThreads(), c.deadlineMillis(), bodies,
        (answer, i) -> check.apply(answer, want.get(i)));
  }

  static RunPipelineRequest runRequest(JsonObject k, Call c) {
    return RunPipelineRequest.newBuilder()
        .setPipeline(c.pipeline())
        .addInputs(fp32Input(c.inputName(), k))
        .addOutputs(c.outputName())
        .build();
  }

  static ModelInferRequest inferRequest(JsonObject k, Call c) {
    return ModelInferRequest.newBuilder()
        .setModelName(c.model())
        .addInputs(fp32Input(c.inputName(), k))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(c.outputName()))
        .build();
  }

  private static ModelInferRequest.InferInputTensor fp32Input(String name, JsonObject k) {
    float[] x = floats(k, "x");
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (float v : x) {
      contents.addFp32Contents(v);
    }
    return ModelInferRequest.InferInputTensor.newBuilder()
        .setName(name).setDatatype("FP32").addShape(1).addShape(x.length).setContents(contents).build();
  }

  static float[] pipelineFloats(RunPipelineResponse r, String name) {
    for (var o : r.getOutputsList()) {
      if (o.getName().equals(name)) {
        return Answers.toFloats(o.getContents().getFp32ContentsList());
      }
    }
    return new float[0];
  }

  static float[] inferFloats(ModelInferResponse r, String name) {
    for (int i = 0; i < r.getOutputsCount(); i++) {
      if (r.getOutputs(i).getName().equals(name)) {
        return r.getRawOutputContentsCount() > i
            ? Answers.rawFloats(r.getRawOutputContents(i).asReadOnlyByteBuffer())
            : Answers.toFloats(r.getOutputs(i).getContents().getFp32ContentsList());
      }
    }
    return new float[0];
  }

  /** An output of the Open Inference Protocol's REST answer: {"outputs": [{"name", "data": [...]}]}. */
  static float[] oipJsonFloats(JsonElement answer, String name) {
    for (JsonElement o : answer.getAsJsonObject().getAsJsonArray("outputs")) {
      if (o.getAsJsonObject().get("name").getAsString().equals(name)) {
        return Answers.jsonFloats(o.getAsJsonObject().get("data"));
      }
    }
    return new float[0];
  }

  static float[] floats(JsonObject k, String key) {
    JsonElement e = k.get(key);
    if (e == null) {
      throw new IllegalArgumentException("reference: a case has no \"" + key + "\" (expected: the key of --expect)");
    }
    return Answers.jsonFloats(e);
  }

  static String ranked(List<Long> ids, List<Float> scores, Expected want) {
    String wrong = Answers.longs("items", Answers.toLongs(ids), want.items());
    return wrong != null ? wrong : Answers.floats("scores", Answers.toFloats(scores), want.scores());
  }

  static String reply(String intent, List<String> tokens, Expected want) {
    if (!intent.equals(want.intent())) {
      return "intent: " + intent + " (expected: " + want.intent() + ")";
    }
    return Answers.strings("tokens", tokens, want.tokens());
  }
}
