package io.junction.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's resident memory, as the probes read it of the orchestrator. */
final class ProcessMemory {
  private ProcessMemory() {}

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
