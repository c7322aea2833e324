package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessLauncherTest {

  @Test
  void tensorFlowsHarmlessCudaFactoryLinesAreNoiseButRealErrorsAreNot() {
    assertThat(ProcessLauncher.isKnownNoise("2026-11-25 08:55:33.539676: E external/org_tensorflow/tensorflow/"
        + "stream_executor/cuda/cuda_blas.cc:2981] Unable to register cuBLAS factory: Attempting to register "
        + "factory for plugin cuBLAS when one has already been registered")).isTrue();
    assertThat(ProcessLauncher.isKnownNoise("E tensorflow/core/framework/op_kernel.cc] OOM when allocating tensor"))
        .isFalse();
    assertThat(ProcessLauncher.isKnownNoise("JUNCTION_WORKER_FAILED {\"reason\":\"x\"}")).isFalse();
  }
}
