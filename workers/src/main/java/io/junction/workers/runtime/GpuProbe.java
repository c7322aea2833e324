package io.junction.workers.runtime;

import ai.djl.util.cuda.CudaUtils;

/**
 * Counts the GPUs this process can see. An interface so that device selection can be tested on
 * a machine without a GPU, and with one.
 */
public interface GpuProbe {
  /** GPUs visible to this process (after CUDA_VISIBLE_DEVICES). */
  int visibleGpus();

  /** Why none are visible, for the error message: the environment and what CUDA said. */
  String absenceReason();

  /** Asks CUDA through DJL. Touches no TensorFlow class, so it can run before the engine starts. */
  static GpuProbe cuda() {
    return new GpuProbe() {
      @Override
      public int visibleGpus() {
        try {
          return CudaUtils.getGpuCount();
        } catch (RuntimeException | LinkageError e) {
          return 0;
        }
      }

      @Override
      public String absenceReason() {
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        String env = visible == null ? "CUDA_VISIBLE_DEVICES unset" : "CUDA_VISIBLE_DEVICES=" + visible;
        boolean driver;
        try {
          driver = CudaUtils.hasCuda();
        } catch (RuntimeException | LinkageError e) {
          driver = false;
        }
        return env + ", " + (driver ? "CUDA reports 0 devices" : "no CUDA driver");
      }
    };
  }
}
