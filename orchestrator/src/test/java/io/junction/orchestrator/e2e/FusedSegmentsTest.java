package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ModelStats;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.RunSegmentRequest;
import io.junction.proto.v1.SegmentEvent;
import io.junction.proto.v1.SegmentInfo;
import io.junction.proto.v1.SegmentResult;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StepTiming;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fused segments with real worker processes and the real demo models: each pipeline is served
 * twice, fused and with {@code fuse: false}, and both must answer alike; a killed worker's
 * replacement gets the segment plans again and serves them. One orchestrator for the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FusedSegmentsTest {
  private static final String PIPELINES = OrchestratorProcess.CHAT_PIPELINE + OrchestratorProcess.RECOMMEND_PIPELINE + """
        - name: routed%1$s
          %2$s
          inputs:
            - {name: route, datatype: INT64, shape: [1]}
            - {name: text, datatype: BYTES, shape: [1]}
            - {name: temperature, datatype: FP32, shape: [1], default: [0.0]}
            - {name: top_k, datatype: INT32, shape: [1], default: [0]}
            - {name: seed, datatype: INT64, shape: [1], default: [0]}
          outputs:
            - {name: intent, from: classify.intent}
            - {name: tokens, from: reply.next_token}
          steps:
            - name: pick
              switch:
                on: input.route
                cases: [{equals: 0, steps: [a]}, {equals: 1, steps: [b]}]
                default: [c]
            - {name: a, model: featurizer, inputs: {text: input.text}}
            - {name: b, model: featurizer, inputs: {text: input.text}}
            - {name: c, model: featurizer, inputs: {text: input.text}}
            - {name: features, merge: {first_of: [a.features, b.features, c.features]}}
            - {name: classify, model: intent, inputs: {features: features.features}}
            - name: reply
              loop:
                model: responder
                inputs: {intent_id: classify.intent_id, temperature: input.temperature, top_k: input.top_k, seed: input.seed}
                feedback: {input: context, output: next_id, window: 2, start: 1}
                iteration: iteration
                collect: [next_token]
                until: {output: next_id, equals: 2}
                max_iterations: 6
      """;

  /** A segment of batching models only, with a free first dimension: the worker runs it row by row. */
  private static final String ROW_WISE = """
        - name: classify
          inputs: [{name: text, datatype: BYTES, shape: [-1]}]
          outputs:
            - {name: intent, from: classify.intent}
            - {name: confidence, from: classify.confidence}
          steps:
            - {name: featurize, model: featurizer, inputs: {text: input.text}}
            - {name: classify, model: intent, inputs: {features: featurize.features}}
      """;

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - {name: conversation, models: [featurizer, intent, responder], replicas: 1, jvm_options: [-Xmx384m]}
          - {name: recommendation, models: [user_tower, retrieval, popular, ranker], replicas: 1, jvm_options: [-Xmx384m]}
        pipelines:
        """ + PIPELINES.formatted("", "fuse: true") + PIPELINES.formatted("_plain", "fuse: false") + ROW_WISE;
    orchestrator = OrchestratorProcess.start("fused", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static RunPipelineResponse run(String pipeline, Tensor... inputs) {
    return orchestrator.runPipeline(pipeline, inputs);
  }

  private static Tensor text(String s) {
    return Tensor.ofStrings("text", new long[] {1}, List.of(s));
  }

  /** The answer without the timings: what must not depend on fusion. */
  private static List<String> outputs(RunPipelineResponse r) {
    return r.getOutputsList().stream().map(o -> o.getName() + " " + o.getDatatype() + " " + o.getShapeList() + " "
        + o.getContents()).toList();
  }

  @Test
  @Order(1)
  void listPipelinesShowsEachPipelineAsOneSegmentUnlessFuseIsFalse() {
    List<PipelineInfo> infos = orchestrator.admin().listPipelines(ListPipelinesRequest.getDefaultInstance())
        .getPipelinesList();
    PipelineInfo chat = infos.stream().filter(p -> p.getName().equals("chat")).findFirst().orElseThrow();
    assertThat(chat.getSegmentsList()).extracting(SegmentInfo::getPool).containsExactly("conversation");
    assertThat(chat.getSegments(0).getStepsList()).containsExactly("featurize", "classify", "reply");
    PipelineInfo recommend = infos.stream().filter(p -> p.getName().equals("recommend")).findFirst().orElseThrow();
    assertThat(recommend.getSegments(0).getStepsList())
        .containsExactly("user_tower", "retrieval", "popular", "candidates", "ranker");
    PipelineInfo routed = infos.stream().filter(p -> p.getName().equals("routed")).findFirst().orElseThrow();
    assertThat(routed.getSegments(0).getStepsList())
        .containsExactly("pick", "a", "b", "c", "features", "classify", "reply");
    assertThat(infos).filteredOn(p -> p.getName().endsWith("_plain")).allSatisfy(p ->
        assertThat(p.getSegmentsList()).isEmpty());
  }

  @Test
  @Order(2)
  void fusedAndUnfusedDemoPipelinesGiveIdenticalOutputs() {
    for (String t : List.of("I want to book a flight to Paris", "hello", "what is the weather like tomorrow", "")) {
      RunPipelineResponse fused = run("chat", text(t));
      assertThat(outputs(fused)).as(t).isEqualTo(outputs(run("chat_plain", text(t))));
      assertThat(fused.getStepsList()).extracting(StepTiming::getStep).containsExactly("featurize", "classify", "reply");
      assertThat(fused.getStepsList()).allSatisfy(s -> {
        assertThat(s.getSegment()).startsWith("chat/0-");
        assertThat(s.getRanOn()).isEqualTo("conversation-0");
      });
    }
    for (long user : new long[] {0, 42, 1999}) {
      Tensor id = Tensor.ofLongs("user_id", new long[] {1}, user);
      RunPipelineResponse plain = run("recommend_plain", id);
      assertThat(outputs(run("recommend", id))).as("user " + user).isEqualTo(outputs(plain));
      assertThat(plain.getStepsList()).allSatisfy(s -> assertThat(s.getSegment()).isEmpty());
      assertThat(plain.getStepsList()).filteredOn(s -> s.getStep().equals("candidates"))
          .extracting(StepTiming::getRanOn).containsExactly("orchestrator");
      assertThat(plain.getStepsList()).filteredOn(s -> s.getStep().equals("ranker"))
          .extracting(StepTiming::getRanOn).containsExactly("recommendation");
    }
  }

  @Test
  @Order(3)
  void fusedAndUnfusedPipelineWithSwitchMergeAndLoopGiveIdenticalOutputs() {
    for (long route : new long[] {0, 1, 7}) {
      for (String t : List.of("book a table for two", "goodbye")) {
        Tensor r = Tensor.ofLongs("route", new long[] {1}, route);
        RunPipelineResponse fused = run("routed", r, text(t));
        RunPipelineResponse plain = run("routed_plain", r, text(t));
        assertThat(outputs(fused)).as("route " + route + ", " + t).isEqualTo(outputs(plain));
        // Only the chosen branch ran, in both.
        assertThat(fused.getStepsList()).extracting(StepTiming::getStep)
            .isEqualTo(plain.getStepsList().stream().map(StepTiming::getStep).toList());
      }
    }
  }

  @Test
  @Order(4)
  void theWorkerSendsOutputsAndALoopsIterationsOnlyWhenTheCallerAsksForThem() throws Exception {
    PipelineInfo chat = orchestrator.admin().listPipelines(ListPipelinesRequest.getDefaultInstance())
        .getPipelinesList().stream().filter(p -> p.getName().equals("chat")).findFirst().orElseThrow();
    String plan = chat.getSegments(0).getId();
    ReplicaInfo replica = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(30))
        .getPoolsList().stream().filter(p -> p.getName().equals("conversation")).findFirst().orElseThrow()
        .getReplicas(0);
    ManagedChannel worker = NettyChannelBuilder.forTarget(replica.getEndpoint()).usePlaintext().build();
    try {
      Tensor text = Tensor.ofStrings("input.text", new long[] {1}, List.of("I want to book a flight to Paris"));
      RunSegmentRequest.Builder request = RunSegmentRequest.newBuilder().setPlanId(plan);
      // A segment gets every input it reads, the decoding options too: the orchestrator fills in
      // the pipeline's defaults before it calls the worker.
      for (Tensor t : List.of(text, Tensor.ofFloats("input.temperature", new long[] {1}, 0f),
          Tensor.ofInts("input.top_k", new long[] {1}, 0), Tensor.ofLongs("input.seed", new long[] {1}, 0L))) {
        request.addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data());
      }
      SegmentServiceGrpc.SegmentServiceBlockingStub segments =
          SegmentServiceGrpc.newBlockingStub(worker).withDeadlineAfter(30, TimeUnit.SECONDS);
      List<SegmentEvent> streamed = new ArrayList<>();
      segments.runSegment(request.setSendIterations(true).build()).forEachRemaining(streamed::add);
      List<SegmentEvent> quiet = new ArrayList<>();
      segments.runSegment(request.setSendIterations(false).build()).forEachRemaining(quiet::add);

      SegmentResult result = streamed.get(streamed.size() - 1).getResult();
      List<String> tokens = TensorCodec.fromOutputs(result.getOutputsList(), result.getRawOutputContentsList())
          .stream().filter(t -> t.name().equals("reply.next_token")).findFirst().orElseThrow().strings();
      assertThat(tokens).hasSizeGreaterThanOrEqualTo(3);
      // The classifier's outputs as soon as it is done, one iteration event per collected token in
      // order, the loop's output, then the result; asked for none, the result alone.
      List<String> expected = new ArrayList<>(List.of("output classify.intent", "output classify.confidence"));
      IntStream.range(0, tokens.size()).forEach(i -> expected.add("iteration " + i));
      expected.addAll(List.of("output reply.next_token", "result"));
      assertThat(streamed).extracting(e -> e.hasOutput() ? "output " + e.getOutput().getOutput().getName()
          : e.hasIteration() ? "iteration " + e.getIteration().getIndex() : "result").containsExactlyElementsOf(expected);
      assertThat(quiet).hasSize(1);
      assertThat(quiet.get(0).getResult().getRawOutputContentsList()).isEqualTo(result.getRawOutputContentsList());
    } finally {
      worker.shutdownNow();
    }
  }

  @Test
  @Order(4)
  void concurrentRunsOfARowWiseSegmentShareWorkerCallsAndEachGetsItsOwnRows() throws Exception {
    List<String> phrases = List.of("I want to book a flight to Paris", "hello", "what is the weather like tomorrow",
        "book a table for two", "goodbye", "cancel my hotel please", "I need a taxi to the airport", "thanks a lot");
    List<String> texts = IntStream.range(0, 48).mapToObj(i -> phrases.get(i % phrases.size()) + " " + "!".repeat(i / 8))
        .toList();
    List<RunPipelineResponse> alone = texts.stream().map(t -> run("classify", text(t))).toList();
    ReplicaInfo replica = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(30))
        .getPoolsList().stream().filter(p -> p.getName().equals("conversation")).findFirst().orElseThrow()
        .getReplicas(0);
    ManagedChannel worker = NettyChannelBuilder.forTarget(replica.getEndpoint()).usePlaintext().build();
    try {
      ModelStats before = featurizer(worker);
      PipelineServiceGrpc.PipelineServiceFutureStub stub = PipelineServiceGrpc.newFutureStub(orchestrator.channel)
          .withDeadlineAfter(60, TimeUnit.SECONDS);
      // All at once: while the first calls of the segment are in flight, the others wait and
      // leave together, stacked.
      List<ListenableFuture<RunPipelineResponse>> answers = texts.stream()
          .map(t -> stub.run(RunPipelineRequest.newBuilder().setPipeline("classify")
              .addInputs(TensorCodec.toRawInputHeader(text(t))).addRawInputContents(text(t).data()).build()))
          .toList();
      for (int i = 0; i < texts.size(); i++) {
        RunPipelineResponse together = answers.get(i).get(60, TimeUnit.SECONDS);
        // The intent exactly; the confidence to float precision, since a matrix product over
        // several rows may add in another order than over one (as in the worker's own batches).
        assertThat(output(together, "intent").strings()).as(texts.get(i)).isEqualTo(output(alone.get(i), "intent").strings());
        assertThat(output(together, "confidence").floats()[0]).as(texts.get(i))
            .isCloseTo(output(alone.get(i), "confidence").floats()[0], within(1e-5f));
      }
      ModelStats after = featurizer(worker);
      assertThat(after.getRows() - before.getRows()).as("rows the featurizer ran").isEqualTo(texts.size());
      assertThat(after.getCalls() - before.getCalls()).as("calls that carried them").isLessThan(texts.size());
    } finally {
      worker.shutdownNow();
    }
  }

  private static Tensor output(RunPipelineResponse r, String name) {
    return TensorCodec.fromOutputs(r.getOutputsList(), List.of()).stream()
        .filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  private static ModelStats featurizer(ManagedChannel worker) {
    return WorkerControlGrpc.newBlockingStub(worker).withDeadlineAfter(10, TimeUnit.SECONDS)
        .stats(StatsRequest.getDefaultInstance()).getModelsList().stream()
        .filter(m -> m.getName().equals("featurizer")).findFirst().orElseThrow();
  }

  @Test
  @Order(5)
  void aWorkerThatIsKilledIsReplacedAndItsReplacementServesTheSegments() throws Exception {
    ListPoolsResponse before = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(30));
    ReplicaInfo old = before.getPoolsList().stream().filter(p -> p.getName().equals("conversation")).findFirst()
        .orElseThrow().getReplicas(0);
    ProcessHandle.of(old.getPid()).orElseThrow().destroyForcibly();
    orchestrator.awaitPools(r -> OrchestratorProcess.allReady(r) && r.getPoolsList().stream()
        .filter(p -> p.getName().equals("conversation"))
        .allMatch(p -> p.getReplicas(0).getPid() != old.getPid()), Duration.ofSeconds(120));

    RunPipelineResponse fused = run("chat", text("hello there"));
    assertThat(outputs(fused)).isEqualTo(outputs(run("chat_plain", text("hello there"))));
    assertThat(fused.getStepsList()).allSatisfy(s -> assertThat(s.getSegment()).startsWith("chat/0-"));
    // The replacement was given the plans when it became READY, not on a failed first call.
    String log = java.nio.file.Files.readString(orchestrator.log);
    assertThat(log.split("replica conversation-0 loaded segment plans", -1)).hasSizeGreaterThanOrEqualTo(3);
    assertThat(log).doesNotContain("lacks segment plan");
  }
}
