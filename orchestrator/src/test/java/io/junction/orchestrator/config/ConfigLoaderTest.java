package io.junction.orchestrator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.PipelineSpec;
import io.junction.engine.StepSpec;
import io.junction.engine.TensorRef;
import io.junction.orchestrator.admission.AdmissionConfig;
import io.junction.orchestrator.admission.Priority;
import io.junction.orchestrator.pool.Autoscaling;
import io.junction.orchestrator.pool.Device;
import io.junction.orchestrator.pool.HealthPolicy;
import io.junction.orchestrator.pool.DnsService;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.orchestrator.routing.RetryBudgetPolicy;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.tensor.DataType;
import io.junction.tensor.TensorSpec;
import io.junction.workers.runtime.CpuAffinity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  private static final Path BASE = Path.of("/srv/junction");

  /** A small valid config; the bad ones below each change one thing in it. */
  private static final String GOOD = """
      repository: models
      pools:
        - name: conversation
          models: [featurizer, intent]
        - name: remote
          kind: static
          models: [ranker]
          endpoints: [10.0.0.1:9000]
      pipelines:
        - name: intent
          inputs:
            - {name: text, datatype: BYTES, shape: [1]}
          outputs:
            - {name: intent, from: classify.intent}
          steps:
            - {name: featurize, model: featurizer, inputs: {text: input.text}}
            - {name: classify, model: intent, inputs: {features: featurize.features}}
      """;

  /** The static pool of GOOD, and as a dns pool. */
  private static final String DNS_FROM = "kind: static\n    models: [ranker]\n    endpoints: [10.0.0.1:9000]";
  private static final String DNS_TO = "kind: dns\n    models: [ranker]\n    service: workers.junction.svc.cluster.local:50051";

  @Test
  void aDnsPoolNamesItsServiceAndResolveInterval() throws Exception {
    PoolSpec dns = parse(good(DNS_FROM, DNS_TO + "\n    resolve_interval_ms: 2000")).pools().get(1);
    assertThat(dns.kind()).isEqualTo(PoolSpec.Kind.DNS);
    assertThat(dns.service()).contains(
        new DnsService("workers.junction.svc.cluster.local", 50051, Duration.ofSeconds(2)));
    assertThat(dns.endpoints()).isEmpty();
    assertThat(dns.repository()).isEmpty();

    PoolSpec byDefault = parse(good(DNS_FROM, DNS_TO)).pools().get(1);
    assertThat(byDefault.service().orElseThrow().resolveInterval()).isEqualTo(DnsService.DEFAULT_RESOLVE_INTERVAL);
    assertThat(parse(GOOD).pools().get(1).service()).as("a static pool resolves nothing").isEmpty();
  }

  private static JunctionConfig parse(String yaml) throws ConfigException {
    return ConfigLoader.parse("junction.yaml", yaml, BASE);
  }

  private static String good(String from, String to) {
    if (!GOOD.contains(from)) {
      throw new IllegalArgumentException("not in the base config: " + from);
    }
    return GOOD.replace(from, to);
  }

  static Stream<Arguments> badConfigs() {
    return Stream.of(
        Arguments.of("max_tensor_elements of 0", "limits: {max_tensor_elements: 0}\n" + GOOD,
            "junction.yaml: limits.max_tensor_elements: 0 (expected: >= 1) (line 1)"),
        Arguments.of("max_tensor_elements above what a tensor may hold", "limits: {max_tensor_elements: 268435457}\n" + GOOD,
            "junction.yaml: limits.max_tensor_elements: 268435457 (expected: <= 268435456) (line 1)"),
        Arguments.of("max_batch_size not a number", "limits: {max_batch_size: many}\n" + GOOD,
            "junction.yaml: limits.max_batch_size: \"many\" (expected: an integer from 1 to 1000000) (line 1)"),
        Arguments.of("max_string_bytes of -1", "limits: {max_string_bytes: -1}\n" + GOOD,
            "junction.yaml: limits.max_string_bytes: -1 (expected: >= 1) (line 1)"),
        Arguments.of("max_steps_executed of 0", "limits: {max_steps_executed: 0}\n" + GOOD,
            "junction.yaml: limits.max_steps_executed: 0 (expected: >= 1) (line 1)"),
        Arguments.of("max_concurrent_streams_per_connection of 0",
            "limits: {max_concurrent_streams_per_connection: 0}\n" + GOOD,
            "junction.yaml: limits.max_concurrent_streams_per_connection: 0 (expected: >= 1) (line 1)"),
        Arguments.of("max_open_streams above its range", "limits: {max_open_streams: 1000001}\n" + GOOD,
            "junction.yaml: limits.max_open_streams: 1000001 (expected: <= 1000000) (line 1)"),
        Arguments.of("an unknown limit", "limits: {max_streams: 5}\n" + GOOD,
            "junction.yaml: limits.max_streams: unknown key (expected one of: max_message_bytes, max_text_chars, max_k, "
                + "max_tensor_elements, max_batch_size, max_string_bytes, max_steps_executed, "
                + "max_concurrent_streams_per_connection, max_open_streams) (line 1)"),
        Arguments.of("stall_after_ms below 10", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    stall_after_ms: 5"),
            "junction.yaml: pools[0].stall_after_ms: 5 (expected: >= 10) (line 5)"),
        Arguments.of("replicas below one", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    replicas: 0"),
            "junction.yaml: pools[0].replicas: 0 (expected: >= 1) (line 5)"),
        Arguments.of("replicas above 64", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    replicas: 65"),
            "junction.yaml: pools[0].replicas: 65 (expected: <= 64) (line 5)"),
        Arguments.of("replicas not a number", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    replicas: two"),
            "junction.yaml: pools[0].replicas: \"two\" (expected: an integer from 1 to 64) (line 5)"),
        Arguments.of("an unknown pool key", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    replica: 2"),
            "junction.yaml: pools[0].replica: unknown key (expected one of: name, kind, models, replicas, device,"
                + " fallback, cpus, endpoints, repository, max_in_flight, max_queue, health_interval_ms,"
                + " start_timeout_ms, jvm_options, batching, affinity, probe_timeout_ms, unhealthy_after, kill_after_ms,"
                + " stall_after_ms, outlier_ejection, min_replicas, max_replicas, autoscaling, retry_budget, service, resolve_interval_ms) (line 5)"),
        Arguments.of("min_replicas for a static pool", good("endpoints: [10.0.0.1:9000]",
                "endpoints: [10.0.0.1:9000]\n    min_replicas: 1\n    max_replicas: 3"),
            "junction.yaml: pools[1].min_replicas: given for a static pool (expected: autoscaling applies to local"
                + " pools only; a static pool has one replica per endpoint, started and stopped by whoever runs it)"
                + " (line 9)"),
        Arguments.of("max_replicas without min_replicas", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    max_replicas: 3"),
            "junction.yaml: pools[0].min_replicas: missing (expected: min_replicas and max_replicas together, to"
                + " autoscale the pool) (line 3)"),
        Arguments.of("an autoscaling block without bounds", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    autoscaling: {upscale_after_ms: 5000}"),
            "junction.yaml: pools[0].min_replicas: missing (expected: min_replicas and max_replicas together, to"
                + " autoscale the pool) (line 3)"),
        Arguments.of("max_replicas below min_replicas", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    min_replicas: 3\n    max_replicas: 2"),
            "junction.yaml: pools[0].max_replicas: 2 (expected: >= min_replicas, 3) (line 6)"),
        Arguments.of("replicas outside min and max", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    replicas: 4\n    min_replicas: 1\n    max_replicas: 3"),
            "junction.yaml: pools[0].replicas: 4 (expected: between min_replicas 1 and max_replicas 3: the count the"
                + " pool starts with) (line 5)"),
        Arguments.of("cpus not one per max_replicas", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    min_replicas: 1\n    max_replicas: 3\n    cpus: [\"0\", \"1\"]"),
            "junction.yaml: pools[0].cpus: 2 entries (expected: one per replica, 3 (max_replicas), or one string for"
                + " every replica) (line 7)"),
        Arguments.of("an upscale delay shorter than the check interval", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    min_replicas: 1\n    max_replicas: 3\n"
                    + "    autoscaling: {upscale_after_ms: 500, check_interval_ms: 1000}"),
            "junction.yaml: pools[0].autoscaling.upscale_after_ms: upscale_after_ms: 500 (expected: >= check_interval_ms,"
                + " 1000) (line 7)"),
        Arguments.of("an unknown autoscaling key", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    min_replicas: 1\n    max_replicas: 3\n"
                    + "    autoscaling: {target_ongoing_requests: 2}"),
            "junction.yaml: pools[0].autoscaling.target_ongoing_requests: unknown key (expected one of: upscale_queue,"
                + " upscale_after_ms, downscale_after_ms, check_interval_ms) (line 7)"),
        Arguments.of("an outlier_ejection rate of zero", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    outlier_ejection: {failure_rate_percent: 0}"),
            "junction.yaml: pools[0].outlier_ejection.failure_rate_percent: 0 (expected: >= 1) (line 5)"),
        Arguments.of("a fallback of a model no pool serves", good("inputs: {features: featurize.features}}",
                "inputs: {features: featurize.features}, fallback: {model: intnet}}"),
            "junction.yaml: pipelines[0].steps[1].fallback.model: \"intnet\" (expected: a model of some pool: featurizer, intent,"
                + " ranker) (line 17)"),
        Arguments.of("a fallback key that does not exist", good("inputs: {features: featurize.features}}",
                "inputs: {features: featurize.features}, fallback: {model: intent, retries: 2}}"),
            "junction.yaml: pipelines[0].steps[1].fallback.retries: unknown key (expected one of: model, inputs)"
                + " (line 17)"),
        Arguments.of("a retry_budget ratio above one", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    retry_budget: {ratio: 1.5}"),
            "junction.yaml: pools[0].retry_budget.ratio: 1.5 (expected: a number from 0 to 1) (line 5)"),
        Arguments.of("a retry_budget floor that is not a number", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    retry_budget: {min_per_second: lots}"),
            "junction.yaml: pools[0].retry_budget.min_per_second: \"lots\" (expected: a number from 0 to 10000) (line 5)"),
        Arguments.of("an outlier_ejection key that does not exist", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    outlier_ejection: {threshold: 3}"),
            "junction.yaml: pools[0].outlier_ejection.threshold: unknown key (expected one of: enabled,"
                + " consecutive_failures, failure_rate_percent, min_calls, window_ms, base_ejection_ms,"
                + " max_ejection_ms, probation_calls) (line 5)"),
        Arguments.of("a longest ejection shorter than the first", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    outlier_ejection: {base_ejection_ms: 5000, max_ejection_ms: 1000}"),
            "junction.yaml: pools[0].outlier_ejection.max_ejection_ms: 1000 (expected: max_ejection_ms >="
                + " base_ejection_ms, here 1000 < 5000) (line 5)"),
        Arguments.of("no failed probe tolerated below one", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    unhealthy_after: 0"),
            "junction.yaml: pools[0].unhealthy_after: 0 (expected: >= 1) (line 5)"),
        Arguments.of("kill_after_ms for a static pool", good("endpoints: [10.0.0.1:9000]",
                "endpoints: [10.0.0.1:9000]\n    kill_after_ms: 1000"),
            "junction.yaml: pools[1].kill_after_ms: given for a static pool (expected: only in local pools;"
                + " a static pool has one replica per endpoint, run and placed by whoever runs it) (line 9)"),
        Arguments.of("a max_queue below what admission lets wait", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    max_queue: 2047"),
            "junction.yaml: pools[0].max_queue: 2047 (expected: >= 2048, admission.max_in_flight 1024 x 2 steps a request"
                + " can have waiting, so that an admitted request's step is never refused for want of room; or leave"
                + " max_queue out: it follows from admission) (line 5)"),
        Arguments.of("a priority that is not one", good("- name: intent", "- name: intent\n    priority: urgent"),
            "junction.yaml: pipelines[0].priority: \"urgent\" (expected: interactive or batch) (line 11)"),
        Arguments.of("a batch share above 1", GOOD + "admission: {batch_share: 1.5}\n",
            "junction.yaml: admission.batch_share: 1.5 (expected: a number > 0 and <= 1, like 0.5) (line 18)"),
        Arguments.of("an admission of nothing", GOOD + "admission: {max_in_flight: 0}\n",
            "junction.yaml: admission.max_in_flight: 0 (expected: >= 1) (line 18)"),
        Arguments.of("a negative max_queue", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    max_queue: -1"),
            "junction.yaml: pools[0].max_queue: -1 (expected: >= 0) (line 5)"),
        Arguments.of("an unknown affinity", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    affinity: sticky"),
            "junction.yaml: pools[0].affinity: \"sticky\" (expected: none or session) (line 5)"),
        Arguments.of("an empty affinity", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    affinity:"),
            "junction.yaml: pools[0].affinity: null (expected: none or session) (line 5)"),
        Arguments.of("batching that is not a boolean", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    batching: off"),
            "junction.yaml: pools[0].batching: off (expected: true or false) (line 5)"),
        Arguments.of("a fuse that is not a boolean", good("  - name: intent\n", "  - name: intent\n    fuse: maybe\n"),
            "junction.yaml: pipelines[0].fuse: \"maybe\" (expected: true or false) (line 11)"),
        Arguments.of("an unknown top-level key", "pool: []\n" + GOOD,
            "junction.yaml: pool: unknown key (expected one of: server, repository, pools, pipelines, limits, sessions,"
                + " admission)"
                + " (line 1)"),
        Arguments.of("a key given twice", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    models: [x]"),
            "junction.yaml: pools[0].models: given twice (expected: each key once) (line 5)"),
        Arguments.of("a pipeline naming an unknown model", good("model: intent,", "model: intnet,"),
            "junction.yaml: pipelines[0].steps[1].model: \"intnet\" (expected: a model of some pool: featurizer,"
                + " intent, ranker) (line 17)"),
        Arguments.of("a loop naming an unknown model", good("{name: classify, model: intent, inputs: {features: featurize.features}}",
                "name: classify\n        loop: {model: responder, feedback: {input: c, output: n, window: 2}, collect: [n],"
                    + " max_iterations: 3}"),
            "junction.yaml: pipelines[0].steps[1].loop.model: \"responder\" (expected: a model of some pool: featurizer,"
                + " intent, ranker) (line 18)"),
        Arguments.of("a model served by two pools", good("models: [ranker]", "models: [intent]"),
            "junction.yaml: pools[1].models[0]: \"intent\" (expected: a model no other pool serves; pool conversation"
                + " serves it) (line 7)"),
        Arguments.of("a model listed twice in a pool", good("[featurizer, intent]", "[featurizer, featurizer]"),
            "junction.yaml: pools[0].models[1]: \"featurizer\" (expected: each model once) (line 4)"),
        Arguments.of("two pools of one name", good("name: remote", "name: conversation"),
            "junction.yaml: pools[1].name: \"conversation\" (expected: a name no other pool has) (line 5)"),
        Arguments.of("a pool without a name", good("  - name: remote\n    kind: static", "  - kind: static"),
            "junction.yaml: pools[1].name: missing (expected: the pool's name) (line 5)"),
        Arguments.of("a dns pool with endpoints", good("kind: static", "kind: dns\n    service: w.example:9000"),
            "junction.yaml: pools[1].endpoints: given for a dns pool (expected: only in static pools; a dns pool names"
                + " its service) (line 9)"),
        Arguments.of("a dns pool without a service", good(DNS_FROM, "kind: dns\n    models: [ranker]"),
            "junction.yaml: pools[1].service: missing (expected: the host:port of the headless Service whose addresses"
                + " are the members) (line 5)"),
        Arguments.of("a dns pool with replicas", good(DNS_FROM, DNS_TO + "\n    replicas: 2"),
            "junction.yaml: pools[1].replicas: given for a dns pool (expected: only in local pools; a dns pool has one"
                + " replica per address its service resolves to, run and placed by whoever runs it) (line 9)"),
        Arguments.of("a dns pool that autoscales", good(DNS_FROM, DNS_TO + "\n    max_replicas: 2"),
            "junction.yaml: pools[1].max_replicas: given for a dns pool (expected: autoscaling applies to local pools"
                + " only; a dns pool has one replica per address its service resolves to, started and stopped by"
                + " whoever runs it) (line 9)"),
        Arguments.of("a dns service without a port", good(DNS_FROM, DNS_TO.replace(":50051", "")),
            "junction.yaml: pools[1].service: \"workers.junction.svc.cluster.local\" (expected: host:port) (line 8)"),
        Arguments.of("a dns service whose host is no DNS name", good(DNS_FROM, DNS_TO.replace("workers.", "work_ers.")),
            "junction.yaml: pools[1].service: \"work_ers.junction.svc.cluster.local:50051\" (expected: host:port with a"
                + " DNS name or an IPv4 address as host, like workers.junction.svc.cluster.local:50051) (line 8)"),
        Arguments.of("a resolve interval below 100 ms", good(DNS_FROM, DNS_TO + "\n    resolve_interval_ms: 50"),
            "junction.yaml: pools[1].resolve_interval_ms: 50 (expected: >= 100) (line 9)"),
        Arguments.of("a service in a static pool", good("endpoints: [10.0.0.1:9000]",
                "endpoints: [10.0.0.1:9000]\n    service: w.example:9000"),
            "junction.yaml: pools[1].service: given for a static pool (expected: only in dns pools) (line 9)"),
        Arguments.of("a resolve interval in a local pool", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    resolve_interval_ms: 1000"),
            "junction.yaml: pools[0].resolve_interval_ms: given for a local pool (expected: only in dns pools) (line 5)"),
        Arguments.of("an unknown kind", good("kind: static", "kind: k8s"),
            "junction.yaml: pools[1].kind: \"k8s\" (expected: local, static or dns) (line 6)"),
        Arguments.of("a static pool without endpoints", good("    endpoints: [10.0.0.1:9000]\n", ""),
            "junction.yaml: pools[1].endpoints: missing (expected: a list of host:port, one per replica) (line 5)"),
        Arguments.of("a static pool with replicas", good("endpoints: [10.0.0.1:9000]", "endpoints: [10.0.0.1:9000]\n    replicas: 2"),
            "junction.yaml: pools[1].replicas: given for a static pool (expected: only in local pools; a static pool"
                + " has one replica per endpoint, run and placed by whoever runs it) (line 9)"),
        Arguments.of("a local pool with endpoints", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    endpoints: [a:1]"),
            "junction.yaml: pools[0].endpoints: given for a local pool (expected: only in static pools) (line 5)"),
        Arguments.of("an endpoint without a port", good("10.0.0.1:9000", "10.0.0.1"),
            "junction.yaml: pools[1].endpoints[0]: \"10.0.0.1\" (expected: host:port) (line 8)"),
        Arguments.of("an endpoint with a bad port", good("10.0.0.1:9000", "10.0.0.1:99999"),
            "junction.yaml: pools[1].endpoints[0]: \"10.0.0.1:99999\" (expected: host:port with a port from 1 to 65535)"
                + " (line 8)"),
        Arguments.of("a bad device", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    device: gpu"),
            "junction.yaml: pools[0].device: \"gpu\" (expected: cpu or gpu:N with N >= 0) (line 5)"),
        Arguments.of("a fallback other than cpu", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    device: gpu:0\n    fallback: tpu"),
            "junction.yaml: pools[0].fallback: \"tpu\" (expected: cpu) (line 6)"),
        Arguments.of("a fallback for a cpu pool", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    fallback: cpu"),
            "junction.yaml: pools[0].fallback: cpu with device cpu (expected: only with a gpu device) (line 5)"),
        Arguments.of("a bad cpu list", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    cpus: 0-"),
            "junction.yaml: pools[0].cpus: \"0-\" (expected: a cpu list like \"0-3\" or \"0,2,4-5\") (line 5)"),
        Arguments.of("a reversed cpu range", good("models: [featurizer, intent]", "models: [featurizer, intent]\n    cpus: 3-1"),
            "junction.yaml: pools[0].cpus: \"3-1\" (expected: a cpu list like \"0-3\" or \"0,2,4-5\", each range"
                + " low-high) (line 5)"),
        Arguments.of("cpus for fewer replicas", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    replicas: 3\n    cpus: [\"0\", \"1\"]"),
            "junction.yaml: pools[0].cpus: 2 entries (expected: one per replica, 3, or one string for every replica)"
                + " (line 6)"),
        Arguments.of("a local pool without a repository", good("repository: models\n", ""),
            "junction.yaml: pools[0].repository: missing (expected: a model repository here or at the top level)"
                + " (line 2)"),
        Arguments.of("max_in_flight of zero", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    max_in_flight: 0"),
            "junction.yaml: pools[0].max_in_flight: 0 (expected: >= 1) (line 5)"),
        Arguments.of("a jvm option without a dash", good("models: [featurizer, intent]",
                "models: [featurizer, intent]\n    jvm_options: [Xmx1g]"),
            "junction.yaml: pools[0].jvm_options[0]: \"Xmx1g\" (expected: a JVM option starting with '-', like"
                + " -Xmx512m) (line 5)"),
        Arguments.of("no pools", "pipelines: []\n",
            "junction.yaml: pools: missing (expected: a list of pools) (line 1)"),
        Arguments.of("pools as a mapping", "pools: {name: x}\n",
            "junction.yaml: pools: a mapping (expected: a list of pools) (line 1)"),
        Arguments.of("an empty file", "",
            "junction.yaml: empty (expected: a mapping with pools, pipelines, server and limits)"),
        Arguments.of("invalid YAML", "pools: [\n",
            "junction.yaml: not valid YAML: expected the node content, but found '<stream end>' (expected: a YAML mapping) (line 2)"),
        Arguments.of("a server port out of range", "server: {port: 70000}\n" + GOOD,
            "junction.yaml: server.port: 70000 (expected: <= 65535) (line 1)"),
        Arguments.of("negative grace", "server: {shutdown_grace_ms: -1}\n" + GOOD,
            "junction.yaml: server.shutdown_grace_ms: -1 (expected: >= 0) (line 1)"),
        Arguments.of("equal ports", "server: {port: 9000, http_port: 9000}\n" + GOOD,
            "junction.yaml: server.http_port: 9000 (expected: http_port and port to differ) (line 1)"),
        Arguments.of("a tiny message limit", "limits: {max_message_bytes: 10}\n" + GOOD,
            "junction.yaml: limits.max_message_bytes: 10 (expected: >= 1024) (line 1)"),
        Arguments.of("no sessions", "sessions: {max_sessions: 0}\n" + GOOD,
            "junction.yaml: sessions.max_sessions: 0 (expected: >= 1) (line 1)"),
        Arguments.of("too many turns", "sessions: {max_turns: 1001}\n" + GOOD,
            "junction.yaml: sessions.max_turns: 1001 (expected: <= 1000) (line 1)"),
        Arguments.of("an idle TTL that is not a number", "sessions: {idle_ttl_ms: 30m}\n" + GOOD,
            "junction.yaml: sessions.idle_ttl_ms: \"30m\" (expected: an integer from 1 to 604800000) (line 1)"),
        Arguments.of("an unknown sessions key", "sessions: {ttl_ms: 10}\n" + GOOD,
            "junction.yaml: sessions.ttl_ms: unknown key (expected one of: max_sessions, max_turns, idle_ttl_ms)"
                + " (line 1)"),
        Arguments.of("an unknown datatype", good("datatype: BYTES", "datatype: STRING"),
            "junction.yaml: pipelines[0].inputs[0].datatype: \"STRING\" (expected: one of BOOL, UINT8, UINT16, UINT32,"
                + " UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES) (line 12)"),
        Arguments.of("a shape dimension below -1", good("shape: [1]", "shape: [-2]"),
            "junction.yaml: pipelines[0].inputs[0].shape[0]: -2 (expected: >= -1) (line 12)"),
        Arguments.of("a reference without a dot", good("from: classify.intent", "from: classify"),
            "junction.yaml: pipelines[0].outputs[0].from: \"classify\" (expected: input.<name>, session.<key> or <step>.<output>)"
                + " (line 14)"),
        Arguments.of("a step input reference without a dot", good("{text: input.text}", "{text: text}"),
            "junction.yaml: pipelines[0].steps[0].inputs.text: \"text\" (expected: input.<name>, session.<key> or <step>.<output>)"
                + " (line 16)"),
        Arguments.of("a step of no kind", good("{name: featurize, model: featurizer, inputs: {text: input.text}}",
                "{name: featurize}"),
            "junction.yaml: pipelines[0].steps[0]: no kind of step (expected: exactly one of model, loop, merge,"
                + " switch) (line 16)"),
        Arguments.of("a step of two kinds", good("{name: featurize, model: featurizer,",
                "{name: featurize, merge: {first_of: [a.x, b.x]}, model: featurizer,"),
            "junction.yaml: pipelines[0].steps[0]: both model and merge: more than one kind of step (expected: exactly"
                + " one of model, loop, merge, switch) (line 16)"),
        Arguments.of("a step name given twice", good("{name: classify,", "{name: featurize,"),
            "junction.yaml: pipelines[0].steps[1].name: \"featurize\" (expected: a name no other step of this pipeline"
                + " has) (line 17)"),
        Arguments.of("a step named input", good("{name: classify,", "{name: input,"),
            "junction.yaml: pipelines[0].steps[1].name: \"input\" (expected: a step name of letters, digits, '_' or"
                + " '-', other than \"input\" and \"session\") (line 17)"),
        Arguments.of("a step named session", good("{name: classify,", "{name: session,"),
            "junction.yaml: pipelines[0].steps[1].name: \"session\" (expected: a step name of letters, digits, '_' or"
                + " '-', other than \"input\" and \"session\") (line 17)"),
        Arguments.of("a timeout of zero", good("{name: classify,", "{name: classify, timeout_ms: 0,"),
            "junction.yaml: pipelines[0].steps[1].timeout_ms: 0 (expected: >= 1) (line 17)"),
        Arguments.of("too many retries", good("{name: classify,", "{name: classify, retries: 11,"),
            "junction.yaml: pipelines[0].steps[1].retries: 11 (expected: <= 10) (line 17)"),
        Arguments.of("a model input fed twice", good("{features: featurize.features}",
                "{features: featurize.features, features: input.text}"),
            "junction.yaml: pipelines[0].steps[1].inputs.features: given twice (expected: each key once) (line 17)"),
        Arguments.of("a merge of one tensor", good("{name: classify, model: intent, inputs: {features: featurize.features}}",
                "{name: m, merge: {concat: [featurize.features]}}"),
            "junction.yaml: pipelines[0].steps[1].merge.concat: 1 reference(s) (expected: at least 2) (line 17)"),
        Arguments.of("a merge of differently named tensors without an output name",
            good("{name: classify, model: intent, inputs: {features: featurize.features}}",
                "{name: m, merge: {first_of: [a.x, b.y]}}"),
            "junction.yaml: pipelines[0].steps[1].merge.output: missing (expected: the merged tensor's name, since the"
                + " merged tensors' names differ) (line 17)"),
        Arguments.of("a loop without max_iterations", good("{name: classify, model: intent, inputs: {features: featurize.features}}",
                "name: classify\n        loop: {model: intent, feedback: {input: c, output: n, window: 2}, collect: [n]}"),
            "junction.yaml: pipelines[0].steps[1].loop.max_iterations: missing (expected: an upper bound on iterations,"
                + " 1 to 100000) (line 18)"),
        Arguments.of("a default with too many values", good("{name: text, datatype: BYTES, shape: [1]}",
                "{name: text, datatype: BYTES, shape: [1], default: [a, b]}"),
            "junction.yaml: pipelines[0].inputs[0].default: 2 values (expected: 1, the elements of shape [1]) (line 12)"),
        Arguments.of("a default for an input of any size", good("{name: text, datatype: BYTES, shape: [1]}",
                "{name: text, datatype: BYTES, shape: [-1], default: [a]}"),
            "junction.yaml: pipelines[0].inputs[0].default: given for text of shape [-1] (expected: a default only for an"
                + " input of fixed shape, no -1) (line 12)"),
        Arguments.of("a default that is not a number", good("{name: text, datatype: BYTES, shape: [1]}",
                "{name: text, datatype: FP32, shape: [1], default: [warm]}"),
            "junction.yaml: pipelines[0].inputs[0].default[0]: \"warm\" (expected: a finite number) (line 12)"),
        Arguments.of("an INT32 default out of range", good("{name: text, datatype: BYTES, shape: [1]}",
                "{name: text, datatype: INT32, shape: [1], default: [2147483648]}"),
            "junction.yaml: pipelines[0].inputs[0].default[0]: 2147483648 (expected: <= 2147483647) (line 12)"),
        Arguments.of("a default of a datatype a config cannot write", good("{name: text, datatype: BYTES, shape: [1]}",
                "{name: text, datatype: BOOL, shape: [1], default: [true]}"),
            "junction.yaml: pipelines[0].inputs[0].default: given for text of datatype BOOL (expected: a default only for"
                + " an input of datatype INT32, INT64, FP32, FP64 or BYTES) (line 12)"),
        Arguments.of("a switch without cases", good("{name: classify, model: intent, inputs: {features: featurize.features}}",
                "{name: route, switch: {on: input.text, cases: []}}"),
            "junction.yaml: pipelines[0].steps[1].switch.cases: empty (expected: at least one case) (line 17)"),
        Arguments.of("two pipelines of one name", GOOD + """
              - name: intent
                inputs: []
                outputs: [{name: x, from: a.x}]
                steps: [{name: a, model: intent, inputs: {}}]
            """,
            "junction.yaml: pipelines[1].name: \"intent\" (expected: a name no other pipeline has) (line 18)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConfigs")
  void rejectsWithFilePathValueAndExpectation(String label, String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void theBaseOfTheBadConfigsIsValid() throws Exception {
    JunctionConfig c = parse(GOOD);
    assertThat(c.pools()).extracting(PoolSpec::name).containsExactly("conversation", "remote");
    assertThat(c.pipelines()).extracting(PipelineSpec::name).containsExactly("intent");
  }

  @Test
  void defaultsFillWhatIsNotWritten() throws Exception {
    JunctionConfig c = parse(GOOD);
    assertThat(c.server()).isEqualTo(new JunctionConfig.Server("127.0.0.1", 8500, 8501));
    assertThat(c.limits()).isEqualTo(new JunctionConfig.Limits(16 * 1024 * 1024, 2000, 50, 4 * 1024 * 1024, 1024,
        64 * 1024, 10_000, 2000, 10_000));
    assertThat(c.sessions()).isEqualTo(new SessionConfig(10_000, 16, Duration.ofMinutes(30)));
    assertThat(c.repository()).contains(Path.of("/srv/junction/models"));
    assertThat(c.pools().get(0)).isEqualTo(new PoolSpec("conversation", PoolSpec.Kind.LOCAL, List.of("featurizer", "intent"),
        1, Device.CPU, false, List.of(), List.of(), Optional.of(Path.of("/srv/junction/models")), 64,
        Duration.ofMillis(1000), Duration.ofMillis(120_000), List.of()).withMaxQueue(2048).withBatchShare(0.5));
    assertThat(c.pools().get(0).batchMaxInFlight()).as("half of 64 slots for batch calls").isEqualTo(32);
    assertThat(c.admission()).as("1024 requests, half of them batch at most; 2 steps each can wait: 2048")
        .isEqualTo(AdmissionConfig.DEFAULT);
    assertThat(c.pools().get(1)).isEqualTo(new PoolSpec("remote", PoolSpec.Kind.STATIC, List.of("ranker"),
        1, Device.CPU, false, List.of(), List.of("10.0.0.1:9000"), Optional.empty(), 64,
        Duration.ofMillis(1000), Duration.ofMillis(120_000), List.of()).withMaxQueue(2048).withBatchShare(0.5));
    assertThat(c.pipelines().get(0).fuse()).isTrue();
    StepSpec featurize = c.pipelines().get(0).steps().get(0);
    assertThat(featurize.timeout()).isEqualTo(Duration.ofMillis(1000));
    assertThat(featurize.retries()).isEqualTo(1);
  }

  @Test
  void everyKeyIsRead() throws Exception {
    JunctionConfig c = parse("""
        server: {host: 0.0.0.0, port: 9500, http_port: 9501, shutdown_grace_ms: 12000}
        repository: /data/models
        limits: {max_message_bytes: 4194304, max_text_chars: 500, max_k: 20, max_tensor_elements: 1000,
                 max_batch_size: 8, max_string_bytes: 100, max_steps_executed: 40,
                 max_concurrent_streams_per_connection: 10, max_open_streams: 30}
        sessions: {max_sessions: 500, max_turns: 4, idle_ttl_ms: 60000}
        admission: {max_in_flight: 10, batch_share: 0.3}
        pools:
          - name: gpu
            kind: local
            models: [a]
            replicas: 2
            device: gpu:1
            fallback: cpu
            cpus: ["0-1", "2,3"]
            repository: ../other
            max_in_flight: 8
            health_interval_ms: 250
            start_timeout_ms: 30000
            jvm_options: [-Xmx512m, -XX:+UseSerialGC]
            batching: false
            affinity: session
            max_queue: 70
          - name: pinned
            models: [b]
            replicas: 4
            cpus: 0-3
            probe_timeout_ms: 3000
            unhealthy_after: 4
            kill_after_ms: 60000
            stall_after_ms: 800
            outlier_ejection: {enabled: true, consecutive_failures: 7, failure_rate_percent: 80, min_calls: 50,
                               window_ms: 5000, base_ejection_ms: 2000, max_ejection_ms: 20000, probation_calls: 5}
          - name: far
            kind: static
            models: [c]
            endpoints: ["w1:9000", "w2:9000"]
            max_in_flight: 16
            affinity: none
            outlier_ejection: {enabled: false}
            retry_budget: {ratio: 0.5, min_per_second: 2}
        pipelines:
          - name: p
            fuse: false
            priority: batch
            inputs: [{name: x, datatype: FP32, shape: [-1, 4]}]
            outputs: [{name: y, from: pick.out}]
            steps:
              - {name: s1, model: a, inputs: {x: input.x}, timeout_ms: 250, retries: 0}
              - name: route
                switch:
                  on: s1.kind
                  cases: [{equals: 0, steps: [s2]}, {equals: "1", steps: [s3]}]
                  default: [s3]
              - {name: s2, model: b, inputs: {x: s1.y}}
              - {name: s3, model: c, inputs: {x: s1.y}, fallback: {model: b}}
              - {name: s4, model: c, inputs: {x: s1.y}, fallback: {model: a, inputs: {x: input.x}}}
              - {name: pick, merge: {first_of: [s2.out, s3.out]}}
              - name: gen
                loop:
                  model: a
                  inputs: {x: input.x}
                  feedback: {input: ctx, output: id, window: 3}
                  collect: [tok]
                  until: {output: tok, equals: "</s>"}
                  max_iterations: 7
        """);
    assertThat(c.server()).isEqualTo(new JunctionConfig.Server("0.0.0.0", 9500, 9501, Duration.ofSeconds(12)));
    assertThat(c.limits()).isEqualTo(new JunctionConfig.Limits(4194304, 500, 20, 1000, 8, 100, 40, 10, 30));
    assertThat(c.sessions()).isEqualTo(new SessionConfig(500, 4, Duration.ofMinutes(1)));
    assertThat(c.pools().get(0)).isEqualTo(new PoolSpec("gpu", PoolSpec.Kind.LOCAL, List.of("a"), 2, Device.gpu(1), true,
        List.of("0-1", "2,3"), List.of(), Optional.of(Path.of("/srv/other")), 8, Duration.ofMillis(250),
        Duration.ofMillis(30_000), List.of("-Xmx512m", "-XX:+UseSerialGC"), false, PoolSpec.Affinity.SESSION)
        .withMaxQueue(70).withBatchShare(0.3));
    assertThat(c.pools()).extracting(PoolSpec::batchMaxInFlight).as("0.3 of max_in_flight (8, the default 64, 16), rounded")
        .containsExactly(2, 19, 5);
    assertThat(c.admission()).isEqualTo(new AdmissionConfig(10, 0.3, Map.of("p", Priority.BATCH)));
    assertThat(c.pools().get(1).maxQueue()).as("10 requests x 7 steps").isEqualTo(70);
    assertThat(c.pools().get(1).batching()).isTrue();
    assertThat(c.pools()).extracting(PoolSpec::affinity)
        .as("session where asked, none by default and where said")
        .containsExactly(PoolSpec.Affinity.SESSION, PoolSpec.Affinity.NONE, PoolSpec.Affinity.NONE);
    assertThat(c.pools().get(1).cpusOf(3)).contains("0-3");
    assertThat(c.pools().get(1).health())
        .isEqualTo(new HealthPolicy(Duration.ofSeconds(3), 4, Duration.ofSeconds(60), Duration.ofMillis(800)));
    assertThat(c.pools().get(1).outlierEjection()).isEqualTo(new OutlierPolicy(true, 7, 80, 50, Duration.ofSeconds(5),
        Duration.ofSeconds(2), Duration.ofSeconds(20), 5));
    assertThat(c.pools().get(2).outlierEjection().enabled()).isFalse();
    assertThat(c.pools().get(2).outlierEjection().consecutiveFailures()).isEqualTo(5);
    assertThat(c.pools().get(0).outlierEjection()).isEqualTo(OutlierPolicy.DEFAULT);
    assertThat(c.pools().get(0).health()).isEqualTo(HealthPolicy.DEFAULT);
    assertThat(c.pools().get(0).retryBudget()).isEqualTo(RetryBudgetPolicy.DEFAULT);
    assertThat(c.pools().get(2).retryBudget()).isEqualTo(new RetryBudgetPolicy(0.5, 2));
    assertThat(c.pools().get(1).repository()).contains(Path.of("/data/models"));
    assertThat(c.pools().get(2).replicas()).isEqualTo(2);
    assertThat(c.pools().get(2).endpoints()).containsExactly("w1:9000", "w2:9000");
    assertThat(c.pools()).allMatch(p -> p.autoscaling().isEmpty());

    PipelineSpec p = c.pipeline("p").orElseThrow();
    assertThat(p.fuse()).isFalse();
    assertThat(p.inputs()).containsExactly(new TensorSpec("x", DataType.FP32, List.of(-1L, 4L)));
    assertThat(p.steps().get(0)).isEqualTo(new StepSpec("s1", Duration.ofMillis(250), 0,
        new StepSpec.ModelCall("a", List.of(new StepSpec.Binding("x", TensorRef.parse("input.x"))))));
    assertThat(p.steps().get(1).kind()).isEqualTo(new StepSpec.Switch(TensorRef.parse("s1.kind"),
        List.of(new StepSpec.Case("0", List.of("s2")), new StepSpec.Case("1", List.of("s3"))), List.of("s3")));
    assertThat(p.steps().get(3).fallback()).contains(new StepSpec.Fallback("b", List.of()));
    assertThat(p.steps().get(4).fallback()).contains(new StepSpec.Fallback("a",
        List.of(new StepSpec.Binding("x", TensorRef.parse("input.x")))));
    assertThat(p.steps().get(2).fallback()).isEmpty();
    assertThat(p.steps().get(5).kind()).isEqualTo(new StepSpec.Merge(StepSpec.Merge.Mode.FIRST_OF,
        List.of(TensorRef.parse("s2.out"), TensorRef.parse("s3.out")), 0, "out"));
    assertThat(p.steps().get(6).kind()).isEqualTo(new StepSpec.Loop("a",
        List.of(new StepSpec.Binding("x", TensorRef.parse("input.x"))), new StepSpec.Feedback("ctx", "id", 3, 0),
        List.of("tok"), Optional.of(new StepSpec.Until("tok", "</s>")), 7));
  }

  @Test
  void theDemoPinsEachPoolToItsHalfOfTheCpusThisProcessMayUse() throws Exception {
    Path repo = Path.of("/models");
    assertThat(ConfigLoader.demo(repo, new CpuAffinity("0-1", 2)).pools()).extracting(PoolSpec::cpus)
        .containsExactly(List.of("0"), List.of("1"));
    assertThat(ConfigLoader.demo(repo, new CpuAffinity("4-5,8-9", 4)).pools()).extracting(PoolSpec::cpus)
        .containsExactly(List.of("4,5"), List.of("8,9"));
    assertThat(ConfigLoader.demo(repo, new CpuAffinity("3", 1)).pools()).extracting(PoolSpec::cpus)
        .as("one core: both pools on it").containsExactly(List.of("3"), List.of("3"));
    assertThat(ConfigLoader.demo(repo, new CpuAffinity("", 3)).pools()).extracting(PoolSpec::cpus)
        .as("affinity unknown: the JVM's processor count from 0").containsExactly(List.of("0"), List.of("1,2"));
  }

  @Test
  void theDemoServesBothWorkloadsFromTheGivenRepository() throws Exception {
    Path repo = Path.of("/tmp/a dir: with \"quotes\" # and more");
    JunctionConfig c = ConfigLoader.demo(repo);
    assertThat(c.repository()).contains(repo);
    assertThat(c.pools()).extracting(PoolSpec::name).containsExactly("conversation", "recommendation");
    assertThat(c.pools().get(0).models()).containsExactly("featurizer", "intent", "session_intent", "responder");
    assertThat(c.pools().get(1).models()).containsExactly("user_tower", "retrieval", "popular", "ranker");
    assertThat(c.pools()).allSatisfy(p -> {
      assertThat(p.kind()).isEqualTo(PoolSpec.Kind.LOCAL);
      assertThat(p.replicas()).as("one worker per pool").isEqualTo(1);
      assertThat(p.device()).isEqualTo(Device.CPU);
      assertThat(p.repository()).contains(repo);
    });
    assertThat(c.pipelines()).extracting(PipelineSpec::name).containsExactly("chat", "recommend");
    assertThat(c.pipeline("chat").orElseThrow().outputs()).extracting(PipelineSpec.Output::name)
        .containsExactly("intent", "confidence", "tokens");
    assertThat(c.pipeline("recommend").orElseThrow().outputs()).extracting(PipelineSpec.Output::name)
        .containsExactly("items", "scores");
  }

  @Test
  void theDemoChatDecodesGreedilyByDefaultAndFeedsTheResponderItsIteration() throws Exception {
    PipelineSpec chat = ConfigLoader.demo(Path.of("/tmp/models")).pipeline("chat").orElseThrow();
    assertThat(chat.inputs()).extracting(TensorSpec::name).containsExactly("text", "temperature", "top_k", "seed");
    assertThat(chat.defaults()).containsOnlyKeys("temperature", "top_k", "seed");
    assertThat(chat.defaults().get("temperature").floats()).containsExactly(0f);
    assertThat(chat.defaults().get("top_k").ints()).containsExactly(0);
    assertThat(chat.defaults().get("seed").longs()).containsExactly(0L);
    StepSpec.Loop loop = (StepSpec.Loop) chat.steps().stream().filter(s -> s.name().equals("reply")).findFirst()
        .orElseThrow().kind();
    assertThat(loop.iteration()).hasValue("iteration");
  }

  @Test
  void loadResolvesARelativeRepositoryAgainstTheFilesDirectory(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("junction.yaml");
    Files.writeString(file, GOOD);
    assertThat(ConfigLoader.load(file).repository()).contains(dir.resolve("models"));
  }

  @Test
  void loadNamesAFileItCannotRead(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(missing)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(missing + ": cannot be read: java.nio.file.NoSuchFileException")
        .hasMessageEndingWith("(expected: a readable YAML file)");
  }

  @Test
  void anExceptionCarriesThePathAndLine() {
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> parse(good("models: [featurizer, intent]", "models: [featurizer, intent]\n    replicas: 0")));
    assertThat(e.file()).isEqualTo("junction.yaml");
    assertThat(e.path()).isEqualTo("pools[0].replicas");
    assertThat(e.line()).isEqualTo(5);
  }

  @Test
  void aLocalPoolAutoscalesBetweenMinAndMaxStartingAtMinUnlessReplicasSays() throws ConfigException {
    JunctionConfig c = parse(good("models: [featurizer, intent]", """
        models: [featurizer, intent]
            min_replicas: 1
            max_replicas: 3
            cpus: ["0", "1", "2"]
            autoscaling: {upscale_queue: 4, upscale_after_ms: 2000, downscale_after_ms: 30000, check_interval_ms: 500}
        """.stripTrailing()).replace("  - name: remote", "  - name: more\n    models: [other]\n    replicas: 2\n"
        + "    min_replicas: 2\n    max_replicas: 4\n  - name: remote"));

    PoolSpec scaled = c.pools().get(0);
    assertThat(scaled.replicas()).as("starts with min_replicas").isEqualTo(1);
    assertThat(scaled.autoscaling()).contains(new Autoscaling(1, 3, 4, Duration.ofSeconds(2), Duration.ofSeconds(30),
        Duration.ofMillis(500)));
    assertThat(scaled.maxReplicas()).isEqualTo(3);
    assertThat(scaled.cpusOf(2)).contains("2");
    assertThat(c.pools().get(1).replicas()).isEqualTo(2);
    assertThat(c.pools().get(1).autoscaling()).contains(new Autoscaling(2, 4));
    assertThat(c.pools().get(2).autoscaling()).isEmpty();
  }
}
