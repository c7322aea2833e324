package io.junction.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A process's resident memory and its JIT's CPU time, as the probes read them of the orchestrator. */
final class ProcessMemory {
  private static final Pattern USED = Pattern.compile("used (\\d+)K");
  /** USER_HZ: the unit of /proc's CPU times, 100 on every Linux the bench runs on. */
  private static final int CLOCK_TICKS = 100;

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

  /**
   * CPU seconds (user and system) the JIT compiler threads of a HotSpot JVM ("C1 CompilerThre…",
   * "C2 CompilerThre…") have used, from {@code /proc/PID/task/*}; threads that ended are not counted.
   */
  static double compilerCpuSeconds(long pid) throws IOException {
    long ticks = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks) {
        try {
          String comm = Files.readString(task.resolve("comm")).trim();
          if (!comm.startsWith("C1 Comp") && !comm.startsWith("C2 Comp")) {
            continue;
          }
          String stat = Files.readString(task.resolve("stat"));
          // fields after the ")" closing the command: state is the first, utime the 12th, stime the 13th
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (NoSuchFileException e) {
          // the thread ended while we looked
        }
      }
    }
    return ticks / (double) CLOCK_TICKS;
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
