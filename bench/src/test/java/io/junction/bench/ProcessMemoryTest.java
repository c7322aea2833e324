package io.junction.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
  private static final long SELF = ProcessHandle.current().pid();

  @Test
  void theCompilerThreadsOfThisJvmHaveUsedCpuAndNeverLessLater() throws Exception {
    double before = ProcessMemory.compilerCpuSeconds(SELF);
    long sum = 0;
    for (int i = 0; i < 20_000_000; i++) { // hot enough to be compiled
      sum += Integer.toHexString(i).length();
    }
    double after = ProcessMemory.compilerCpuSeconds(SELF);
    assertThat(sum).isPositive();
    assertThat(before).isFinite().isGreaterThanOrEqualTo(0);
    assertThat(after).as("C1 and C2 compiled this loop and the test framework").isPositive()
        .isGreaterThanOrEqualTo(before);
  }

  @Test
  void aProcessThatDoesNotExistIsAnError() {
    assertThatThrownBy(() -> ProcessMemory.compilerCpuSeconds(Long.MAX_VALUE)).isInstanceOf(IOException.class);
  }

  @Test
  void residentMemoryOfThisJvmIsRead() throws Exception {
    assertThat(ProcessMemory.rssKb(SELF)).isPositive();
  }
}
