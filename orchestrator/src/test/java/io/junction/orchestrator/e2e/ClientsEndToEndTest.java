package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.workers.runtime.TensorFlowNatives;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Python, Go and Node clients (clients/) against the demo as a user runs it: each client's
 * own test suite, run by {@code bin/test-client} as a subprocess with {@code JUNCTION_ADDRESS}
 * set to the fork's {@link SharedDemo}, from the toolchains and packages that
 * {@code bin/install-test-clients} put in the Junction cache. A suite that fails, runs no test
 * or outlives its timeout fails its test here, with the suite's output.
 */
@ExtendWith(SharedDemo.class)
class ClientsEndToEndTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Duration SUITE_TIMEOUT = Duration.ofSeconds(240);
  private static final String INSTALL = "bin/install-test-clients (bin/install-prerequisites, which bin/test runs, "
      + "calls it)";
  private static OrchestratorProcess orchestrator;

  @BeforeAll
  static void useSharedDemo(OrchestratorProcess demo) {
    orchestrator = demo;
  }

  @Test
  void pythonClientSuitePasses() throws Exception {
    String out = runSuite("python");
    assertThat(out).as("pytest's summary").containsPattern(Pattern.compile("^\\d+ passed", Pattern.MULTILINE))
        .doesNotContain(" failed");
  }

  @Test
  void goClientSuitePasses() throws Exception {
    String out = runSuite("go");
    assertThat(out).as("go test's summary").containsPattern(Pattern.compile("^ok\\s+junction/clients/go\\s", Pattern.MULTILINE));
  }

  @Test
  void goClientStubsAreWhatTheProtosGenerate() throws Exception {
    assertThat(runSuite("go-stubs")).contains("clients/go/gen is current");
  }

  @Test
  void nodeClientSuitePasses() throws Exception {
    String out = runSuite("node");
    assertThat(out).as("node --test's summary").containsPattern(Pattern.compile("^# pass [1-9]\\d*$", Pattern.MULTILINE))
        .containsPattern(Pattern.compile("^# fail 0$", Pattern.MULTILINE));
  }

  /** Runs {@code bin/test-client suite}; fails unless it exits 0 within the timeout. Returns its output. */
  private static String runSuite(String suite) throws IOException, InterruptedException {
    Path log = Path.of("target", "e2e-logs", "client-" + suite + ".out").toAbsolutePath();
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("bin").resolve("test-client").toString(), suite)
        .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("JUNCTION_ADDRESS", "127.0.0.1:" + orchestrator.port);
    // the cache the bin/ scripts and this JVM agree on (-Djunction.cache included)
    pb.environment().put("JUNCTION_CACHE", TensorFlowNatives.cacheRoot().toString());
    Process p = pb.start();
    boolean exited = p.waitFor(SUITE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println("[client " + suite + "]\n" + output);
    assertThat(exited).as("bin/test-client %s finished within %s; its output:\n%s", suite, SUITE_TIMEOUT, output).isTrue();
    assertThat(p.exitValue()).as("bin/test-client %s exited with %d; its output:\n%s\n(a missing tool: run %s)", suite,
        p.exitValue(), output, INSTALL).isZero();
    return output;
  }
}
