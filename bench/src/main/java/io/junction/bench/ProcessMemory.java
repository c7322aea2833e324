package io.junction.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A process's resident memory, as the probes read it of the orchestrator. */
final class ProcessMemory {
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  private ProcessMemory() {}

  /**
   * The Java heap a JVM still uses after a full collection (jcmd GC.run, then GC.heap_info), in
   * kB: what it really holds, where RSS keeps what the heap once grew to. -1 when jcmd cannot tell.
   */
  static long heapAfterGcKb(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** {@code VmRSS} of {@code /proc/PID/status}, in kB. */
  static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("/proc/" + pid + "/status: no VmRSS line");
  }
}
