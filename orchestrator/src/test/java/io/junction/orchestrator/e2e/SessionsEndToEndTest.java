package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.EndSessionRequest;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListSessionsRequest;
import io.junction.proto.v1.ListSessionsResponse;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.SessionInfo;
import io.junction.proto.v1.StepTiming;
import io.junction.proto.v1.TensorSpec;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions with a real orchestrator, a real worker and the real conversation models: Converse
 * turns with one session id are kept and listed, EndSession ends them, and a pipeline that reads
 * {@code session.turns} gets the value (given by the caller, or the empty session's) in its steps,
 * inside a fused segment too. One orchestrator for the class.
 */
class SessionsEndToEndTest {
  private static final String REPLY_LOOP = """
                model: responder
                inputs: {intent_id: %s, temperature: input.temperature, top_k: input.top_k, seed: input.seed}
                feedback: {input: context, output: next_id, window: 2, start: 1}
                iteration: iteration
                collect: [next_token]
                until: {output: next_id, equals: 2}
                max_iterations: 12
      """;

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        sessions: {max_sessions: 100, max_turns: 4, idle_ttl_ms: 600000}
        pools:
          - {name: conversation, models: [featurizer, intent, responder], replicas: 1, jvm_options: [-Xmx384m]}
        pipelines:
          - name: chat
            inputs: [{name: text, datatype: BYTES, shape: [1]}, {name: temperature, datatype: FP32, shape: [1], default: [0.0]},
                      {name: top_k, datatype: INT32, shape: [1], default: [0]}, {name: seed, datatype: INT64, shape: [1], default: [0]}]
            outputs:
              - {name: intent, from: classify.intent}
              - {name: confidence, from: classify.confidence}
              - {name: tokens, from: reply.next_token}
            steps:
              - {name: featurize, model: featurizer, inputs: {text: input.text}}
              - {name: classify, model: intent, inputs: {features: featurize.features}}
              - name: reply
                loop:
        """ + REPLY_LOOP.formatted("classify.intent_id") + """
          # reads the session: a switch on its turn count (fused with the steps after it), and
          # the turn count fed to the responder as its intent id
          - name: session_probe
            inputs: [{name: text, datatype: BYTES, shape: [1]}, {name: temperature, datatype: FP32, shape: [1], default: [0.0]},
                      {name: top_k, datatype: INT32, shape: [1], default: [0]}, {name: seed, datatype: INT64, shape: [1], default: [0]}]
            outputs:
              - {name: turns, from: session.turns}
              - {name: previous_intent, from: session.previous_intent}
              - {name: intent, from: classify.intent}
              - {name: tokens, from: reply.next_token}
            steps:
              - name: route
                switch: {on: session.turns, cases: [{equals: 0, steps: [first]}], default: [later]}
              - {name: first, model: featurizer, inputs: {text: input.text}}
              - {name: later, model: featurizer, inputs: {text: input.text}}
              - {name: features, merge: {first_of: [first.features, later.features]}}
              - {name: classify, model: intent, inputs: {features: features.features}}
              - name: reply
                loop:
        """ + REPLY_LOOP.formatted("session.turns") + """
          - name: reply_for
            inputs: [{name: intent_id, datatype: INT64, shape: [1]}, {name: temperature, datatype: FP32, shape: [1], default: [0.0]},
                      {name: top_k, datatype: INT32, shape: [1], default: [0]}, {name: seed, datatype: INT64, shape: [1], default: [0]}]
            outputs: [{name: tokens, from: reply.next_token}]
            steps:
              - name: reply
                loop:
        """ + REPLY_LOOP.formatted("input.intent_id");
    orchestrator = OrchestratorProcess.start("sessions", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static ConverseResponse converse(String session, String text) {
    return ConversationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .converse(ConverseRequest.newBuilder().setText(text).setSessionId(session).build());
  }

  private static RunPipelineResponse run(String pipeline, Tensor... inputs) {
    return orchestrator.runPipeline(pipeline, inputs);
  }

  private static Tensor output(RunPipelineResponse r, String name) {
    return TensorCodec.fromOutputs(r.getOutputsList(), List.of()).stream()
        .filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  private static List<String> tokensFor(long intentId) {
    return output(run("reply_for", Tensor.ofLongs("intent_id", new long[] {1}, intentId)), "tokens").strings();
  }

  private static List<String> steps(RunPipelineResponse r) {
    return r.getStepsList().stream().map(StepTiming::getStep).toList();
  }

  @Test
  void twoConverseTurnsWithOneSessionIdAreListedAndEndSessionRemovesThem() {
    converse("e2e-1", "I want to book a flight to Paris");
    ConverseResponse second = converse("e2e-1", "what is the weather like tomorrow");
    converse("", "hello"); // no session: nothing kept

    ListSessionsResponse listed = orchestrator.admin().listSessions(ListSessionsRequest.getDefaultInstance());
    assertThat(listed.getCount()).isEqualTo(1);
    SessionInfo session = listed.getSessions(0);
    assertThat(session.getSessionId()).isEqualTo("e2e-1");
    assertThat(session.getTurns()).isEqualTo(2);
    assertThat(session.getKeptTurns()).isEqualTo(2);
    assertThat(session.getPreviousIntent()).isEqualTo(second.getIntent()).isNotEmpty();

    assertThat(orchestrator.admin().endSession(EndSessionRequest.newBuilder().setSessionId("e2e-1").build())
        .getSession().getTurns()).isEqualTo(2);
    assertThat(orchestrator.admin().listSessions(ListSessionsRequest.getDefaultInstance()).getCount()).isZero();
    StatusRuntimeException again = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.admin().endSession(EndSessionRequest.newBuilder().setSessionId("e2e-1").build()));
    assertThat(again.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void aPipelineGetsTheEmptySessionWhenTheCallerGivesNone() {
    RunPipelineResponse r = run("session_probe", Tensor.ofStrings("text", new long[] {1}, List.of("hello there")));
    assertThat(output(r, "turns").longs()).containsExactly(0);
    assertThat(output(r, "previous_intent").strings()).containsExactly("");
    assertThat(steps(r)).contains("first").doesNotContain("later");
    assertThat(output(r, "tokens").strings()).isEqualTo(tokensFor(0)).isNotEmpty();
  }

  @Test
  void aPipelineReadsTheSessionValuesTheCallerGivesInsideItsSegmentAndLoop() {
    RunPipelineResponse r = run("session_probe", Tensor.ofStrings("text", new long[] {1}, List.of("hello there")),
        Tensor.ofLongs("session.turns", new long[] {1}, 3),
        Tensor.ofStrings("session.previous_intent", new long[] {1}, List.of("book_flight")));
    assertThat(output(r, "turns").longs()).containsExactly(3);
    assertThat(output(r, "previous_intent").strings()).containsExactly("book_flight");
    // the switch on session.turns ran inside the worker's segment and chose the other branch
    assertThat(steps(r)).contains("later").doesNotContain("first");
    assertThat(r.getStepsList()).filteredOn(s -> s.getStep().equals("route")).singleElement()
        .satisfies(s -> assertThat(s.getSegment()).startsWith("session_probe/"));
    // the loop was fed 3 as its intent id: the reply intent 3 gets, not intent 0's
    assertThat(output(r, "tokens").strings()).isEqualTo(tokensFor(3)).isNotEqualTo(tokensFor(0));
  }

  @Test
  void sessionValuesAreNotAmongThePipelinesListedInputs() {
    PipelineInfo probe = orchestrator.admin().listPipelines(ListPipelinesRequest.getDefaultInstance()).getPipelinesList()
        .stream().filter(p -> p.getName().equals("session_probe")).findFirst().orElseThrow();
    assertThat(probe.getInputsList()).extracting(TensorSpec::getName).containsExactly("text", "temperature", "top_k", "seed");
  }
}
