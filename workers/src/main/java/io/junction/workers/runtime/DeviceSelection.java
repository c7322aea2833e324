package io.junction.workers.runtime;

import ai.djl.Device;

/**
 * The device a worker really runs on, decided once at start.
 *
 * @param requested what the command line asked for
 * @param device what the worker reports: "cpu", or the requested "gpu:N"
 * @param fellBack true when a GPU was asked for and the worker runs on the CPU instead
 * @param djlDevice where DJL loads models: the CPU, or the first (only) visible GPU
 */
public record DeviceSelection(DeviceRequest requested, String device, boolean fellBack, Device djlDevice) {

  /**
   * Chooses the device: a GPU when one is asked for and visible; else the CPU if fallback is
   * allowed; else a {@link DeviceUnavailableException} whose message says what was missing.
   */
  public static DeviceSelection choose(DeviceRequest requested, boolean fallbackCpu, GpuProbe probe) {
    if (!requested.gpu()) {
      return new DeviceSelection(requested, "cpu", false, Device.cpu());
    }
    if (probe.visibleGpus() > 0) {
      return new DeviceSelection(requested, requested.toString(), false, Device.gpu(0));
    }
    if (fallbackCpu) {
      return new DeviceSelection(requested, "cpu", true, Device.cpu());
    }
    throw new DeviceUnavailableException("device: " + requested + " (expected: a visible GPU; found none: "
        + probe.absenceReason() + ") — set fallback: cpu (worker flag --fallback-cpu) to run on the CPU");
  }
}
