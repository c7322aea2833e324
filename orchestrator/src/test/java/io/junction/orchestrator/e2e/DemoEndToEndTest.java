package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.workers.runtime.CpuAffinity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The demo as a user runs it: `junction serve` with no config (the demo config, two local pools
 * of one worker JVM each, the real demo models; only the ports are moved to free ones), the
 * CLI and every public service over loopback, on the fork's {@link SharedDemo}. A killed worker
 * and SIGTERM, which end what they test, are {@link DemoLifecycleTest}'s, on a demo of its own.
 */
@ExtendWith(SharedDemo.class)
class DemoEndToEndTest {
  private static OrchestratorProcess orchestrator;
  private static String target;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
    target = "127.0.0.1:" + orchestrator.port;
  }

  @Test
  void statusListsBothPoolsWithEveryReplicaReadyWithItsPidAndDevice() throws Exception {
    Cli.Result r = Cli.run("status", "--target", target, "--json");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    JsonObject status = JsonParser.parseString(r.stdout()).getAsJsonObject();
    JsonArray pools = status.getAsJsonArray("pools");
    assertThat(pools).hasSize(2);
    Set<String> names = new HashSet<>();
    Set<Long> pidsOfAllPools = new HashSet<>();
    for (JsonElement p : pools) {
      JsonObject pool = p.getAsJsonObject();
      names.add(pool.get("name").getAsString());
      JsonArray replicas = pool.getAsJsonArray("replicas");
      assertThat(replicas).hasSize(1);
      Set<Long> pids = new HashSet<>();
      for (JsonElement x : replicas) {
        JsonObject replica = x.getAsJsonObject();
        assertThat(replica.get("state").getAsString()).isEqualTo("READY");
        assertThat(replica.get("device").getAsString()).isEqualTo("cpu");
        long pid = replica.get("pid").getAsLong();
        assertThat(ProcessHandle.of(pid)).as("replica pid %d is a live process", pid).isPresent();
        // Each pool's worker is pinned to its half of the CPUs and told how many that is.
        String cpus = replica.get("cpus").getAsString();
        int count = CpuAffinity.countCpus(cpus);
        assertThat(count).isLessThanOrEqualTo(Math.max(1, (Runtime.getRuntime().availableProcessors() + 1) / 2));
        ProcessHandle.of(pid).flatMap(h -> h.info().arguments()).ifPresent(args ->
            assertThat(args).as("worker %d's JVM flags", pid).contains("-XX:ActiveProcessorCount=" + count));
        pids.add(pid);
      }
      pidsOfAllPools.addAll(pids);
    }
    assertThat(pidsOfAllPools).as("each pool's replica is a process of its own").hasSize(2);
    assertThat(names).containsExactlyInAnyOrder("conversation", "recommendation");

    Cli.Result human = Cli.run("status", "--target", target);
    assertThat(human.exitCode()).isZero();
    assertThat(human.stdout()).contains("conversation").contains("recommendation").contains("READY");
  }

  @Test
  void chatFindsTheIntentAndGeneratesAReply() throws Exception {
    Cli.Result r = Cli.run("chat", "I want to book a flight to Paris", "--target", target, "--json");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    // One JSON line per event of the stream: the intent, each token, then the whole reply.
    List<JsonObject> events = r.stdout().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    assertThat(events.get(0).has("intent")).as(r.stdout()).isTrue();
    assertThat(events.subList(1, events.size() - 1)).allSatisfy(e -> assertThat(e.has("token")).isTrue());
    JsonObject reply = events.get(events.size() - 1).getAsJsonObject("done");
    assertThat(reply.get("intent").getAsString()).isEqualTo("book_flight");
    assertThat(reply.get("confidence").getAsFloat()).isBetween(0.5f, 1.0f);
    JsonArray tokens = reply.getAsJsonArray("tokens");
    assertThat(tokens.size()).isGreaterThanOrEqualTo(3);
    StringBuilder joined = new StringBuilder();
    for (JsonElement t : tokens) {
      joined.append(joined.length() == 0 ? "" : " ").append(t.getAsString());
    }
    assertThat(reply.get("reply").getAsString()).isEqualTo(joined.toString());
    assertThat(events.subList(1, events.size() - 1)).extracting(e -> e.get("token").getAsString())
        .containsExactlyElementsOf(tokens.asList().stream().map(JsonElement::getAsString).toList());

    Cli.Result human = Cli.run("chat", "what's the weather like tomorrow", "--target", target);
    assertThat(human.exitCode()).as(human.stderr()).isZero();
    assertThat(human.stdout()).contains("weather");
  }

  @Test
  void recommendReturnsKDistinctItemsHighestScoreFirst() throws Exception {
    Cli.Result r = Cli.run("recommend", "--user", "42", "--k", "10", "--target", target, "--json");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    JsonArray items = JsonParser.parseString(r.stdout()).getAsJsonObject().getAsJsonArray("items");
    assertThat(items).hasSize(10);
    Set<Long> ids = new HashSet<>();
    float previous = Float.POSITIVE_INFINITY;
    for (JsonElement e : items) {
      JsonObject item = e.getAsJsonObject();
      ids.add(item.get("itemId").getAsLong());
      float score = item.get("score").getAsFloat();
      assertThat(score).isLessThanOrEqualTo(previous);
      previous = score;
    }
    assertThat(ids).hasSize(10);
  }

  @Test
  void metricsShowTheBatchesTheWorkersRan() throws Exception {
    String before = metrics();
    // This test's own chat and recommend: the featurizer and the ranker run a batch each at least
    // (the counts are the shared demo's since it started, so only the change is this test's).
    assertThat(ConversationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .converse(ConverseRequest.newBuilder().setText("I want to book a flight to Paris").build()).getTokensCount())
        .isPositive();
    assertThat(RecommendationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .recommend(RecommendRequest.newBuilder().setUserId(42).setK(10).build()).getItemsCount()).isEqualTo(10);
    String after = metrics();
    // The demo runs one replica per pool.
    for (String pool : List.of("conversation", "recommendation")) {
      assertThat(after).contains("junction_worker_batch_size_count{pool=\"" + pool + "\",replica=\"" + pool
          + "-0\",model=\"");
    }
    assertThat(batches(after, "featurizer")).as(after).isGreaterThan(batches(before, "featurizer"));
    assertThat(batches(after, "ranker")).as(after).isGreaterThan(batches(before, "ranker"));
    assertThat(after).contains("junction_worker_batch_queue_seconds_max{pool=\"recommendation\"");
  }

  private static String metrics() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + orchestrator.httpPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** The batches every replica ran for a model, from the histogram's counts. */
  private static long batches(String metrics, String model) {
    return metrics.lines()
        .filter(l -> l.startsWith("junction_worker_batch_size_count{") && l.contains("model=\"" + model + "\"}"))
        .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void pipelineAndModelsAreServedThroughTheOpenInferenceProtocol() {
    var oip = GRPCInferenceServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    ModelInferResponse model = oip.modelInfer(ModelInferRequest.newBuilder()
        .setModelName("user_tower")
        .addInputs(TensorCodec.toTypedInput(Tensor.ofLongs("user_id", new long[] {2}, 1, 2)))
        .build());
    List<Tensor> outputs = TensorCodec.fromOutputs(model.getOutputsList(), model.getRawOutputContentsList());
    assertThat(outputs).extracting(Tensor::name).containsExactly("embedding");
    assertThat(outputs.get(0).dim(0)).isEqualTo(2);

    ModelInferResponse pipeline = oip.modelInfer(ModelInferRequest.newBuilder()
        .setModelName("recommend")
        .addInputs(TensorCodec.toTypedInput(Tensor.ofLongs("user_id", new long[] {1}, 7)))
        .build());
    List<Tensor> ranked = TensorCodec.fromOutputs(pipeline.getOutputsList(), pipeline.getRawOutputContentsList());
    assertThat(ranked).extracting(Tensor::name).contains("items", "scores");

    RunPipelineResponse run = PipelineServiceGrpc.newBlockingStub(orchestrator.channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .run(RunPipelineRequest.newBuilder().setPipeline("chat")
            .addInputs(TensorCodec.toTypedInput(Tensor.ofStrings("text", new long[] {1}, List.of("book me a hotel in Rome"))))
            .build());
    assertThat(run.getOutputsList()).extracting(o -> o.getName()).contains("intent", "confidence", "tokens");
    assertThat(run.getStepsList()).extracting(s -> s.getStep()).contains("featurize", "classify", "reply");
  }

  private static InferInputTensor.Builder input(String name, String datatype, long... shape) {
    InferInputTensor.Builder b = InferInputTensor.newBuilder().setName(name).setDatatype(datatype);
    for (long d : shape) {
      b.addShape(d);
    }
    return b;
  }

  private static void assertStatus(Supplier<?> call, Status.Code code, String... fragments) {
    assertThatThrownBy(call::get)
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
          for (String f : fragments) {
            assertThat(e.getStatus().getDescription()).contains(f);
          }
        });
  }

  @Test
  void wrongInputGetsTheRightStatusAndAClearMessage() {
    var conversation = ConversationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    var recommendation = RecommendationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    var pipelines = PipelineServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    var oip = GRPCInferenceServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    InferInputTensor userId = TensorCodec.toTypedInput(Tensor.ofLongs("user_id", new long[] {1}, 3));

    // Unknown pipeline or model.
    assertStatus(() -> pipelines.run(RunPipelineRequest.newBuilder().setPipeline("nope").addInputs(userId).build()),
        Status.Code.NOT_FOUND, "nope", "recommend");
    assertStatus(() -> oip.modelInfer(ModelInferRequest.newBuilder().setModelName("nope").addInputs(userId).build()),
        Status.Code.NOT_FOUND, "nope");

    // Missing, extra, mistyped input tensors and a wrong shape.
    assertStatus(() -> pipelines.run(RunPipelineRequest.newBuilder().setPipeline("recommend").build()),
        Status.Code.INVALID_ARGUMENT, "user_id");
    assertStatus(() -> pipelines.run(RunPipelineRequest.newBuilder().setPipeline("recommend").addInputs(userId)
            .addInputs(TensorCodec.toTypedInput(Tensor.ofLongs("extra", new long[] {1}, 1))).build()),
        Status.Code.INVALID_ARGUMENT, "extra");
    assertStatus(() -> pipelines.run(RunPipelineRequest.newBuilder().setPipeline("recommend")
            .addInputs(TensorCodec.toTypedInput(Tensor.ofFloats("user_id", new long[] {1}, 3f))).build()),
        Status.Code.INVALID_ARGUMENT, "user_id", "INT64");
    assertStatus(() -> pipelines.run(RunPipelineRequest.newBuilder().setPipeline("recommend")
            .addInputs(TensorCodec.toTypedInput(Tensor.ofLongs("user_id", new long[] {1, 2}, 3, 4))).build()),
        Status.Code.INVALID_ARGUMENT, "user_id");
    assertStatus(() -> oip.modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower")
            .addInputs(input("user_id", "INT64", 2)).addRawInputContents(ByteString.copyFrom(new byte[8])).build()),
        Status.Code.INVALID_ARGUMENT, "user_id");
    assertStatus(() -> oip.modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower")
            .addInputs(input("user_id", "INT64", 1).setContents(InferTensorContents.newBuilder().addFp32Contents(1f)))
            .build()),
        Status.Code.INVALID_ARGUMENT, "user_id");

    // User id out of range; k of 0 means the default, negative or absurd k is refused.
    assertStatus(() -> recommendation.recommend(RecommendRequest.newBuilder().setUserId(10_000_000).setK(10).build()),
        Status.Code.INVALID_ARGUMENT, "user_id");
    assertStatus(() -> recommendation.recommend(RecommendRequest.newBuilder().setUserId(-1).setK(10).build()),
        Status.Code.INVALID_ARGUMENT, "user_id");
    assertStatus(() -> recommendation.recommend(RecommendRequest.newBuilder().setUserId(1).setK(-3).build()),
        Status.Code.INVALID_ARGUMENT, "k");
    assertStatus(() -> recommendation.recommend(RecommendRequest.newBuilder().setUserId(1).setK(1_000_000).build()),
        Status.Code.INVALID_ARGUMENT, "k");
    assertThat(recommendation.recommend(RecommendRequest.newBuilder().setUserId(1).setK(0).build()).getItemsCount())
        .isEqualTo(10);

    // Empty text.
    assertStatus(() -> conversation.converse(ConverseRequest.newBuilder().setText("").build()),
        Status.Code.INVALID_ARGUMENT, "text");
    assertStatus(() -> conversation.converse(ConverseRequest.newBuilder().setText("   ").build()),
        Status.Code.INVALID_ARGUMENT, "text");
  }
}
