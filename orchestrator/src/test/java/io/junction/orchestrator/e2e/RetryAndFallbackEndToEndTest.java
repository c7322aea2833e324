package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.proto.v1.InjectFaultRequest;
import io.junction.proto.v1.InjectFaultResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.tensor.Tensor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retries, the retry budget and fallbacks with real workers, started with fault injection
 * allowed. Pool {@code ranking} has two replicas of the ranker and no outlier ejection, so a
 * failing replica stays in routing and every request may meet it; pool {@code scarce} has one
 * replica of the featurizer and a retry budget of one retry a second. Faults are set on the
 * workers directly (WorkerControl.InjectFault, UNAVAILABLE) and turned off after each test.
 */
class RetryAndFallbackEndToEndTest {
  private static final int RETRIES = 5;

  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void start() throws Exception {
    String rank = """
          - name: %s
            inputs: [{name: user_id, datatype: INT64, shape: [1]}]
            outputs: [{name: items, from: ranker.items}]
            steps:
              - {name: user_tower, model: user_tower, inputs: {user_id: input.user_id}}
              - {name: popular, model: popular, inputs: {user_id: input.user_id}}
              - name: ranker
                model: ranker
                inputs: {user_id: input.user_id, embedding: user_tower.embedding, candidates: popular.items}
                %s
        """;
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - name: recommendation
            models: [user_tower, popular]
            replicas: 1
            jvm_options: [-Xmx384m]
          - name: ranking
            models: [ranker]
            replicas: 2
            jvm_options: [-Xmx384m, -Djunction.allowFaultInjection=true]
            outlier_ejection: {enabled: false}
          - name: scarce
            models: [featurizer]
            replicas: 1
            jvm_options: [-Xmx384m, -Djunction.allowFaultInjection=true]
            retry_budget: {ratio: 0, min_per_second: 1}
        pipelines:
        """
        + rank.formatted("rank", "retries: 1")
        + rank.formatted("rank_or_popular", "fallback: {model: popular, inputs: {user_id: input.user_id}}")
        + """
          - name: popular_only
            inputs: [{name: user_id, datatype: INT64, shape: [1]}]
            outputs: [{name: items, from: popular.items}]
            steps:
              - {name: popular, model: popular, inputs: {user_id: input.user_id}}
          - name: features
            inputs: [{name: text, datatype: BYTES, shape: [1]}]
            outputs: [{name: features, from: featurize.features}]
            steps:
              - {name: featurize, model: featurizer, inputs: {text: input.text}, retries: %d}
        """.formatted(RETRIES);
    orchestrator = OrchestratorProcess.start("retry-and-fallback", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  @AfterEach
  void turnFaultsOff() {
    for (String id : List.of("ranking-0", "ranking-1", "scarce-0")) {
      inject(id, InjectFaultRequest.Fault.NONE);
    }
  }

  private static ReplicaInfo replica(String id) {
    return orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()).getPoolsList().stream()
        .flatMap(p -> p.getReplicasList().stream()).filter(r -> r.getId().equals(id)).findFirst().orElseThrow();
  }

  private static InjectFaultResponse inject(String replicaId, InjectFaultRequest.Fault fault) {
    return OrchestratorProcess.injectFault(replica(replicaId).getEndpoint(), fault);
  }

  private static long[] items(String pipeline, long user) {
    RunPipelineResponse r = orchestrator.runPipeline(pipeline, Tensor.ofLongs("user_id", new long[] {1}, user));
    return r.getOutputs(0).getContents().getInt64ContentsList().stream().mapToLong(Long::longValue).toArray();
  }

  /** The pool's junction_pool_retries_total for {@code outcome}, read from /metrics. */
  private static long retries(String pool, String outcome) throws Exception {
    String text = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + orchestrator.httpPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("junction_pool_retries_total\\{pool=\"" + pool + "\",outcome=\"" + outcome
        + "\"} (\\d+)").matcher(text);
    assertThat(m.find()).as("metric of pool %s, outcome %s in:\n%s", pool, outcome, text).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void withOneOfTwoReplicasFailingEveryRequestSucceedsOnTheOther() throws Exception {
    long retriedBefore = retries("ranking", "retried");
    inject("ranking-1", InjectFaultRequest.Fault.UNAVAILABLE);

    for (int i = 0; i < 24; i++) {
      assertThat(items("rank", i)).as("request %d", i).hasSize(50);
    }

    long failed = inject("ranking-1", InjectFaultRequest.Fault.NONE).getFailedCalls();
    assertThat(failed).as("calls the failing replica got and failed").isPositive();
    assertThat(retries("ranking", "retried") - retriedBefore).as("each went on to the other replica")
        .isGreaterThanOrEqualTo(failed);
  }

  @Test
  void withEveryReplicaFailingRetriesStopWhenTheBudgetIsSpent() throws Exception {
    long retriedBefore = retries("scarce", "retried");
    long refusedBefore = retries("scarce", "refused_by_budget");
    long callsBefore = inject("scarce-0", InjectFaultRequest.Fault.UNAVAILABLE).getFailedCalls();
    int requests = 10;

    for (int i = 0; i < requests; i++) {
      int n = i;
      assertThatThrownBy(() -> orchestrator.runPipeline("features",
              Tensor.ofStrings("text", new long[] {1}, List.of("book a flight " + n))))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("fault injected")
                .contains("retry budget of pool scarce spent");
          });
    }

    long calls = inject("scarce-0", InjectFaultRequest.Fault.NONE).getFailedCalls() - callsBefore;
    long retried = retries("scarce", "retried") - retriedBefore;
    long refused = retries("scarce", "refused_by_budget") - refusedBefore;
    assertThat(refused).as("one refused retry ends each request").isEqualTo(requests);
    assertThat(calls).as("worker calls: each request's first, and the retries the budget allowed")
        .isEqualTo(requests + retried);
    assertThat(calls).as("without the budget: %d calls", requests * (1 + RETRIES))
        .isLessThan((long) requests * (1 + RETRIES));
  }

  @Test
  void aStepWithAFallbackAnswersThroughItWhenItsPoolIsFailing() {
    long[] popular = items("popular_only", 42);
    inject("ranking-0", InjectFaultRequest.Fault.UNAVAILABLE);
    inject("ranking-1", InjectFaultRequest.Fault.UNAVAILABLE);

    for (int i = 0; i < 5; i++) {
      assertThat(items("rank_or_popular", 42)).as("request %d", i).containsExactly(popular);
    }
    assertThatThrownBy(() -> items("rank", 42)).as("the same step without a fallback")
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

    inject("ranking-0", InjectFaultRequest.Fault.NONE);
    inject("ranking-1", InjectFaultRequest.Fault.NONE);
    assertThat(items("rank_or_popular", 42)).as("the ranker's answer again, not popular's").isNotEqualTo(popular);
  }
}
