package io.junction.workers.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The CPUs this process may run on, as the kernel reports them. The launcher pins a worker with
 * {@code taskset}; the worker reads the result rather than trusting its {@code --cpus} flag, and
 * sizes its threads to it.
 *
 * @param list the affinity in the kernel's list form, e.g. "0-1,4"; empty when unknown
 * @param count how many CPUs that is (the JVM's processor count when unknown)
 */
public record CpuAffinity(String list, int count) {
  private static final Path STATUS = Path.of("/proc/self/status");

  public static CpuAffinity current() {
    return fromStatus(STATUS, Runtime.getRuntime().availableProcessors());
  }

  static CpuAffinity fromStatus(Path status, int fallbackCount) {
    try {
      List<String> lines = Files.readAllLines(status);
      for (String line : lines) {
        if (line.startsWith("Cpus_allowed_list:")) {
          String list = line.substring("Cpus_allowed_list:".length()).trim();
          return new CpuAffinity(list, countCpus(list));
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc not mounted: fall through to what the JVM says.
    }
    return new CpuAffinity("", Math.max(1, fallbackCount));
  }

  /**
   * Counts the CPUs of a list such as "0-3,8,10-11": the one parser of CPU lists, for the
   * kernel's affinity, the worker's --cpus and the orchestrator's launcher. Empty parts,
   * negative numbers and reversed ranges are refused.
   */
  public static int countCpus(String list) {
    return ranges(list).stream().mapToInt(r -> r[1] - r[0] + 1).sum();
  }

  /**
   * The CPU numbers of this affinity in ascending list order ("0-1,4" gives 0, 1, 4); when the
   * list is unknown, 0 to count - 1.
   */
  public List<Integer> cpus() {
    if (list.isBlank()) {
      return IntStream.range(0, count).boxed().toList();
    }
    return ranges(list).stream().flatMap(r -> IntStream.rangeClosed(r[0], r[1]).boxed()).toList();
  }

  /** The {low, high} ranges of a CPU list, a single CPU as {n, n}. */
  private static List<int[]> ranges(String list) {
    if (list.isBlank()) {
      throw new IllegalArgumentException("cpus: \"" + list + "\" (expected: at least one CPU)");
    }
    List<int[]> out = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      String p = part.trim();
      // The first '-' splits a range; a leading one leaves an empty low end, which parseInt refuses.
      int dash = p.indexOf('-');
      if (dash < 0) {
        int n = Integer.parseInt(p);
        out.add(new int[] {n, n});
      } else {
        int lo = Integer.parseInt(p.substring(0, dash));
        int hi = Integer.parseInt(p.substring(dash + 1));
        if (hi < lo) {
          throw new IllegalArgumentException("cpus: \"" + list + "\" (expected: ranges low-high with low <= high)");
        }
        out.add(new int[] {lo, hi});
      }
    }
    return out;
  }
}
