package io.junction.workers.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuAffinityTest {
  @TempDir Path dir;

  @Test
  void countsListsOfCpusAndRanges() {
    assertThat(CpuAffinity.countCpus("0")).isEqualTo(1);
    assertThat(CpuAffinity.countCpus("0-1")).isEqualTo(2);
    assertThat(CpuAffinity.countCpus("0-3,8,10-11")).isEqualTo(7);
  }

  @Test
  void refusesMalformedLists() {
    assertThatThrownBy(() -> CpuAffinity.countCpus("3-1")).hasMessageContaining("low <= high");
    assertThatThrownBy(() -> CpuAffinity.countCpus("")).hasMessageContaining("at least one CPU");
    assertThatThrownBy(() -> CpuAffinity.countCpus("a")).isInstanceOf(NumberFormatException.class);
  }

  @Test
  void readsTheAffinityFromProcStatus() throws Exception {
    Path status = dir.resolve("status");
    Files.writeString(status, "Name:\tjava\nCpus_allowed:\t5\nCpus_allowed_list:\t0,2\nMems_allowed:\t1\n");
    assertThat(CpuAffinity.fromStatus(status, 64)).isEqualTo(new CpuAffinity("0,2", 2));
  }

  @Test
  void withoutProcStatusFallsBackToTheJvmsCountAndReportsNoList() {
    assertThat(CpuAffinity.fromStatus(dir.resolve("absent"), 3)).isEqualTo(new CpuAffinity("", 3));
  }

  @Test
  void listsItsCpusInListOrder() {
    assertThat(new CpuAffinity("0-1,4,6-7", 5).cpus()).containsExactly(0, 1, 4, 6, 7);
    assertThat(new CpuAffinity("", 3).cpus()).as("unknown list: 0 to count - 1").containsExactly(0, 1, 2);
  }
}
