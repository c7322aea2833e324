package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.junction.workers.runtime.TensorFlowNatives;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python scripts of {@code src/test/python} (Triton's own client against our servers), run in
 * the venv that {@code bin/install-test-python} makes. A missing venv fails the test, never
 * skips it, saying how to install it.
 */
final class TestPython {
  static final String INSTALL = "bin/install-test-python (bin/install-prerequisites, which bin/test runs, "
      + "calls it)";

  private TestPython() {}

  /**
   * Runs the script with its arguments, its output in target/e2e-logs/LOG.out; it must exit 0
   * within {@code timeout}. Returns its summary: the last line of its output that is a JSON
   * object (gRPC's C core may log lines of its own).
   */
  static JsonObject summaryOf(String script, String log, Duration timeout, String... args) throws Exception {
    // the cache root bin/ scripts use too: $JUNCTION_CACHE, $XDG_CACHE_HOME/junction or ~/.cache/junction
    Path python = TensorFlowNatives.cacheRoot().resolve("pytest-venv").resolve("bin").resolve("python");
    assertThat(Files.isExecutable(python))
        .as("the test Python environment with tritonclient at %s; install it with %s", python, INSTALL).isTrue();
    List<String> command = new ArrayList<>(List.of(python.toString(),
        Path.of("src", "test", "python", script).toAbsolutePath().toString()));
    command.addAll(List.of(args));
    Path out = Path.of("target", "e2e-logs", log + ".out");
    Files.createDirectories(out.getParent());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean exited = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(exited).as("%s finished within %s; its output:\n%s", command, timeout, output).isTrue();
    assertThat(p.exitValue()).as("%s exited with %d; its output:\n%s\n(a missing module: run %s)", command,
        p.exitValue(), output, INSTALL).isZero();
    String json = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no summary line in the output of " + command + ":\n" + output));
    return JsonParser.parseString(json).getAsJsonObject();
  }
}
