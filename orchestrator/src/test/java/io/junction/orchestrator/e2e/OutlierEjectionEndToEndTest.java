package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.v1.InjectFaultRequest;
import io.junction.proto.v1.InjectFaultResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.StepTiming;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Outlier ejection with real workers: a conversation pool of two local replicas started with
 * fault injection allowed. One is made to fail every call (WorkerControl.InjectFault,
 * UNAVAILABLE); under a bounded load every request still succeeds (a call that reaches the
 * faulty replica fails over to the other), the faulty one leaves routing after a bounded number
 * of errors, and once its fault is turned off it comes back on probation and serves again.
 * The load mixes the fused chat pipeline (RunSegment) and the same steps one model call each
 * (call streams).
 */
class OutlierEjectionEndToEndTest {
  private static final String POOL = "conversation";
  private static final String FAULTY = "conversation-1";
  private static final int CONSECUTIVE_FAILURES = 3;

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - name: conversation
            models: [featurizer, intent, responder]
            replicas: 2
            jvm_options: [-Xmx384m, -Djunction.allowFaultInjection=true]
            outlier_ejection: {consecutive_failures: %d, base_ejection_ms: 8000, max_ejection_ms: 16000,
                               probation_calls: 2}
        pipelines:
        """.formatted(CONSECUTIVE_FAILURES)
        + OrchestratorProcess.CHAT_PIPELINE.formatted("", "fuse: true")
        + OrchestratorProcess.CHAT_PIPELINE.formatted("_steps", "fuse: false");
    orchestrator = OrchestratorProcess.start("outlier-ejection", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static ReplicaInfo replica(ListPoolsResponse r, String id) {
    return r.getPoolsList().stream().filter(p -> p.getName().equals(POOL)).findFirst().orElseThrow()
        .getReplicasList().stream().filter(x -> x.getId().equals(id)).findFirst().orElseThrow();
  }

  private static ReplicaInfo faulty() {
    return replica(orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()), FAULTY);
  }

  private static InjectFaultResponse inject(ReplicaInfo replica, InjectFaultRequest.Fault fault) {
    return OrchestratorProcess.injectFault(replica.getEndpoint(), fault);
  }

  /** One chat, fused or step by step; a failed call throws, failing the test. Returns where it ran. */
  private static String chat(int i) {
    String pipeline = i % 2 == 0 ? "chat" : "chat_steps";
    RunPipelineResponse r = orchestrator.runPipeline(pipeline,
        Tensor.ofStrings("text", new long[] {1}, java.util.List.of("I want to book a flight to Paris")));
    assertThat(r.getOutputsList()).as("call %d (%s)", i, pipeline).isNotEmpty();
    return r.getStepsList().stream().map(StepTiming::getRanOn).filter(s -> !s.isEmpty()).findFirst().orElse("");
  }

  @Test
  void aReplicaFailingEveryCallIsEjectedWithoutLosingARequestAndReadmittedOnceItRecovers() throws Exception {
    ReplicaInfo target = faulty();
    assertThat(target.getEjected()).isFalse();
    assertThat(inject(target, InjectFaultRequest.Fault.UNAVAILABLE).getPrevious())
        .isEqualTo(InjectFaultRequest.Fault.NONE);

    // Bounded load while the worker fails every call: every request succeeds.
    for (int i = 0; i < 30; i++) {
      chat(i);
    }
    ReplicaInfo ejected = faulty();
    assertThat(ejected.getEjected()).as("%s", ejected).isTrue();
    assertThat(ejected.getState()).isEqualTo("READY"); // alive and probed fine: only its calls fail
    assertThat(ejected.getEjection()).contains("failures in a row").contains("fault injected");

    InjectFaultResponse off = inject(target, InjectFaultRequest.Fault.NONE);
    assertThat(off.getPrevious()).isEqualTo(InjectFaultRequest.Fault.UNAVAILABLE);
    // A bounded number of errors: the run that ejected it (and, had the load outlived the 8 s
    // ejection, one failed probation call) - not one per request.
    assertThat(off.getFailedCalls()).isBetween((long) CONSECUTIVE_FAILURES, (long) CONSECUTIVE_FAILURES + 1);

    // Readmitted on probation when its ejection time is up.
    orchestrator.awaitPools(r -> !replica(r, FAULTY).getEjected(), Duration.ofSeconds(60));
    Map<String, Integer> served = new TreeMap<>();
    for (int i = 0; i < 200 && served.getOrDefault(FAULTY, 0) < 4; i++) {
      served.merge(chat(i), 1, Integer::sum);
    }
    assertThat(served.getOrDefault(FAULTY, 0)).as("calls it served after readmission: %s", served).isEqualTo(4);
    ReplicaInfo healthy = faulty();
    assertThat(healthy.getEjected()).isFalse();
    assertThat(healthy.getEjection()).as("probation passed").isEmpty();
  }
}
