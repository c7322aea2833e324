package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium ({@code chromium}, which bin/install-prerequisites installs) loading one page
 * headless: a screenshot and the DOM after the page's scripts ran (a virtual time budget lets
 * them finish). The browser reaches 127.0.0.1 only: every other host name fails to resolve, and
 * its background traffic (updates, sync, safe browsing, metrics) is off. A missing browser fails
 * the test, never skips it.
 */
final class HeadlessChromium {
  static final String INSTALL = "bin/install-prerequisites (which bin/test runs) installs Debian's chromium package";

  /** What the page became: its DOM as HTML, and the screenshot's file. */
  record Page(String dom, Path screenshot) {}

  private HeadlessChromium() {}

  static Page load(String url, Path screenshot, Duration budget, Duration timeout) throws Exception {
    Path browser = onPath("chromium");
    Path profile = Files.createTempDirectory(Path.of("target"), "chromium-profile");
    Files.createDirectories(screenshot.toAbsolutePath().getParent());
    Files.deleteIfExists(screenshot);
    List<String> command = new ArrayList<>(List.of(browser.toString(),
        "--headless",
        "--disable-gpu",
        "--user-data-dir=" + profile.toAbsolutePath(),
        "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
        "--disable-client-side-phishing-detection", "--metrics-recording-only",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,1600",
        "--virtual-time-budget=" + budget.toMillis(),
        "--screenshot=" + screenshot.toAbsolutePath(),
        "--dump-dom"));
    if ("root".equals(System.getProperty("user.name"))) {
      command.add("--no-sandbox"); // Chromium refuses to run as root with its sandbox (CI runs as root)
    }
    command.add(url);
    Path out = Path.of("target", "e2e-logs", "chromium-dom.html");
    Path err = Path.of("target", "e2e-logs", "chromium.log");
    Files.createDirectories(out.getParent());
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    boolean exited = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String log = Files.readString(err, StandardCharsets.UTF_8);
    assertThat(exited).as("%s finished within %s; its log:\n%s", command, timeout, log).isTrue();
    assertThat(p.exitValue()).as("%s exited with %d; its log:\n%s", command, p.exitValue(), log).isZero();
    deleteTree(profile);
    return new Page(Files.readString(out, StandardCharsets.UTF_8), screenshot);
  }

  private static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new AssertionError(name + " is not on the PATH; " + INSTALL);
  }

  private static void deleteTree(Path root) throws Exception {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
