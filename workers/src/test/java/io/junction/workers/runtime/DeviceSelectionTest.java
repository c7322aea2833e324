package io.junction.workers.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceSelectionTest {
  private static GpuProbe gpus(int n) {
    return new GpuProbe() {
      @Override
      public int visibleGpus() {
        return n;
      }

      @Override
      public String absenceReason() {
        return "CUDA_VISIBLE_DEVICES=0, no CUDA driver";
      }
    };
  }

  @Test
  void parsesCpuAndGpuIndexes() {
    assertThat(DeviceRequest.parse("cpu")).isEqualTo(DeviceRequest.CPU);
    assertThat(DeviceRequest.parse("gpu:3")).isEqualTo(new DeviceRequest(true, 3));
    assertThat(DeviceRequest.parse("gpu:3").toString()).isEqualTo("gpu:3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "CPU", "gpu", "gpu:", "gpu:-1", "gpu:a", "tpu:0"})
  void refusesOtherDevices(String text) {
    assertThatThrownBy(() -> DeviceRequest.parse(text))
        .hasMessage("device: \"" + text + "\" (expected: cpu or gpu:N with N >= 0)");
  }

  @Test
  void gpuAskedAndVisibleLoadsOnTheFirstVisibleGpuButReportsTheHostIndex() {
    DeviceSelection s = DeviceSelection.choose(DeviceRequest.parse("gpu:2"), false, gpus(1));
    assertThat(s.device()).isEqualTo("gpu:2");
    assertThat(s.djlDevice()).isEqualTo(Device.gpu(0));
    assertThat(s.fellBack()).isFalse();
  }

  @Test
  void gpuAskedAndMissingFailsWithTheReasonUnlessFallbackIsAllowed() {
    assertThatThrownBy(() -> DeviceSelection.choose(DeviceRequest.parse("gpu:0"), false, gpus(0)))
        .isInstanceOf(DeviceUnavailableException.class)
        .hasMessage("device: gpu:0 (expected: a visible GPU; found none: CUDA_VISIBLE_DEVICES=0, no CUDA driver)"
            + " — set fallback: cpu (worker flag --fallback-cpu) to run on the CPU");
    DeviceSelection s = DeviceSelection.choose(DeviceRequest.parse("gpu:0"), true, gpus(0));
    assertThat(s.device()).isEqualTo("cpu");
    assertThat(s.requested().toString()).isEqualTo("gpu:0");
    assertThat(s.fellBack()).isTrue();
    assertThat(s.djlDevice()).isEqualTo(Device.cpu());
  }

  @Test
  void cpuNeverAsksForAGpu() {
    DeviceSelection s = DeviceSelection.choose(DeviceRequest.CPU, false, gpus(0));
    assertThat(s.device()).isEqualTo("cpu");
    assertThat(s.fellBack()).isFalse();
  }
}
