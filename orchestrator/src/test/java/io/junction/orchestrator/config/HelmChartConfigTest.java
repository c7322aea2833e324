package io.junction.orchestrator.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.orchestrator.pool.DnsService;
import io.junction.orchestrator.pool.PoolSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The config that the Helm chart (helm/junction) renders into its ConfigMap loads in the
 * orchestrator's own ConfigLoader, which checks every key, value and reference the way `serve`
 * does at start, without starting a pool. helm/test/tier1 checks the chart's manifests against
 * the Kubernetes schemas; only this loader knows what a Junction config may say.
 */
class HelmChartConfigTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path CHART = ROOT.resolve("helm/junction");

  @TempDir Path dir;

  @Test
  void defaultValuesRenderTheDemoOverDnsPools() throws Exception {
    JunctionConfig config = ConfigLoader.load(render("default"));

    assertThat(config.server().host()).isEqualTo("0.0.0.0");
    assertThat(config.server().port()).isEqualTo(8500);
    assertThat(config.server().httpPort()).isEqualTo(8501);
    assertThat(config.server().shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.pools()).extracting(PoolSpec::name).containsExactly("conversation", "recommendation");
    assertThat(config.pools()).extracting(PoolSpec::kind).containsOnly(PoolSpec.Kind.DNS);
    assertThat(config.pools().get(0).service()).contains(new DnsService(
        "demo-junction-conversation.junction.svc.cluster.local", 50051, DnsService.DEFAULT_RESOLVE_INTERVAL));
    assertThat(config.pools().get(1).models()).containsExactly("user_tower", "retrieval", "popular", "ranker");
    // the services' pipelines, as the demo has them
    assertThat(config.pipelines()).extracting(p -> p.name()).containsExactly("chat", "recommend");
  }

  /** values.yaml repeats the demo's pipelines (a chart cannot read the orchestrator's resources): the same. */
  @Test
  void defaultValuesCarryTheDemosPipelinesUnchanged() throws Exception {
    Map<String, Object> rendered = new Yaml().load(Files.readString(render("default")));
    Map<String, Object> demo;
    try (var in = ConfigLoader.class.getResourceAsStream("demo.yaml")) {
      assertThat(in).as("the demo config, a resource of ConfigLoader's package").isNotNull();
      demo = new Yaml().load(in);
    }
    // numbers as values: helm writes the float 0.0 as 0, which the loader reads as the same default
    assertThat(numbersAsDoubles(rendered.get("pipelines"))).isEqualTo(numbersAsDoubles(demo.get("pipelines")));
  }

  private static Object numbersAsDoubles(Object yaml) {
    if (yaml instanceof Number n) {
      return n.doubleValue();
    }
    if (yaml instanceof List<?> l) {
      return l.stream().map(HelmChartConfigTest::numbersAsDoubles).toList();
    }
    if (yaml instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(k, numbersAsDoubles(v)));
      return out;
    }
    return yaml;
  }

  @Test
  void gpuExamplePassesPoolKeysThroughAndNamesStaticEndpoints() throws Exception {
    JunctionConfig config = ConfigLoader.load(render("gpu", "-f", CHART.resolve("ci/gpu-values.yaml").toString()));

    PoolSpec conversation = config.pools().get(0);
    assertThat(conversation.maxInFlight()).isEqualTo(16);
    assertThat(conversation.service()).map(DnsService::resolveInterval).contains(Duration.ofMillis(2000));
    PoolSpec extra = config.pools().get(2);
    assertThat(extra.kind()).isEqualTo(PoolSpec.Kind.STATIC);
    assertThat(extra.endpoints()).containsExactly("triton.inference.svc.cluster.local:8001");
  }

  /** helm template of the chart's ConfigMap alone; its junction.yaml, written to a file. */
  private Path render(String name, String... values) throws Exception {
    List<String> paths = run(List.of(ROOT.resolve("bin/install-helm-tools").toString(), "--paths"));
    List<String> command = new ArrayList<>(List.of(paths.get(0) + "/helm", "template", "demo", CHART.toString(),
        "--namespace", "junction", "--kube-version", paths.get(2), "--show-only", "templates/configmap.yaml"));
    command.addAll(List.of(values));
    String manifest = String.join("\n", run(command));
    Map<String, Object> configMap = new Yaml().load(manifest);
    @SuppressWarnings("unchecked")
    Map<String, String> data = (Map<String, String>) configMap.get("data");
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, data.get("junction.yaml"));
    return file;
  }

  /** Runs a command with helm's state in the temporary directory; its standard output's lines. */
  private List<String> run(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("HELM_CACHE_HOME", dir.resolve("helm-cache").toString());
    pb.environment().put("HELM_CONFIG_HOME", dir.resolve("helm-config").toString());
    pb.environment().put("HELM_DATA_HOME", dir.resolve("helm-data").toString());
    Path err = dir.resolve("stderr.txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished within 60 s", command).isTrue();
    assertThat(p.exitValue()).as("%s failed (install the tools with bin/install-helm-tools): %s", command,
        Files.readString(err)).isZero();
    return out.lines().toList();
  }
}
