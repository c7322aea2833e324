package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The config's limits in a real orchestrator with a real worker: {@code max_steps_executed}
 * stops the demo chat's decode loop inside a fused segment (in the worker) and step by step (in
 * the orchestrator) with the same error, and a tensor limit refuses a request before it runs.
 */
class LimitsEndToEndTest {
  private static final int MAX_STEPS = 5;
  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        limits: {max_steps_executed: %d, max_string_bytes: 64}
        pools:
          - {name: conversation, models: [featurizer, intent, responder], replicas: 1, jvm_options: [-Xmx384m]}
        pipelines:
          - name: classify
            inputs: [{name: text, datatype: BYTES, shape: [1]}]
            outputs: [{name: intent, from: classify.intent}]
            steps:
              - {name: featurize, model: featurizer, inputs: {text: input.text}}
              - {name: classify, model: intent, inputs: {features: featurize.features}}
        """.formatted(MAX_STEPS)
        + OrchestratorProcess.CHAT_PIPELINE.formatted("", "fuse: true")
        + OrchestratorProcess.CHAT_PIPELINE.formatted("_plain", "fuse: false");
    orchestrator = OrchestratorProcess.start("limits", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static Tensor text(String s) {
    return Tensor.ofStrings("text", new long[] {1}, List.of(s));
  }

  @Test
  void aRunWithinMaxStepsExecutedIsServed() {
    RunPipelineResponse r = orchestrator.runPipeline("classify", text("hello there"));
    assertThat(r.getOutputsList()).extracting(o -> o.getName()).containsExactly("intent");
  }

  @Test
  void aDecodeLoopPastMaxStepsExecutedFailsNamingTheLimitFusedOrStepByStep() {
    // featurize, classify, then the reply's iterations: the fourth iteration is the sixth step
    String expected = "pipeline chat%s, step reply: steps executed: 6 (expected: <= 5, each loop iteration counted;"
        + " limits.max_steps_executed in the config)";
    for (String pipeline : List.of("chat", "chat_plain")) {
      assertThatThrownBy(() -> orchestrator.runPipeline(pipeline, text("hello there")))
          .as(pipeline)
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).isEqualTo(expected.formatted(pipeline.substring(4)));
          });
    }
  }

  @Test
  void aStringLongerThanMaxStringBytesIsRefusedBeforeItRuns() {
    assertThatThrownBy(() -> orchestrator.runPipeline("classify", text("x".repeat(65))))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo("text[0]: 65 bytes (expected: <= 64 bytes in one BYTES"
              + " element; limits.max_string_bytes in the config)");
        });
  }
}
