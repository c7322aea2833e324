package io.junction.workers.serving;

import java.util.List;
import java.util.Optional;

/**
 * What a worker is and does, at one moment.
 *
 * @param device the device it really runs on: "cpu" or "gpu:N"
 * @param requestedDevice the device it was asked for
 * @param fellBack a GPU was asked for and the CPU is used
 * @param cpus the CPU affinity list, e.g. "0-1"
 * @param inFlight model calls admitted and not finished (queued plus running)
 * @param modelThreads threads of the model-calls executor
 * @param intraOpThreads the engine's intra-op pool size per model; 0 when unknown
 * @param interOpThreads the engine's inter-op pool size per model; 0 when unknown
 */
public record WorkerStats(
    long pid,
    String device,
    String requestedDevice,
    boolean fellBack,
    boolean ready,
    boolean draining,
    String cpus,
    List<Model> models,
    int inFlight,
    int modelThreads,
    int intraOpThreads,
    int interOpThreads) {

  public WorkerStats {
    models = List.copyOf(models);
  }

  /**
   * One loaded model's counters.
   *
   * @param calls inference calls that reached the model's queue and finished, well or not
   * @param errors those that did not succeed (engine failures, calls dropped or refused)
   * @param rows rows inferred: the sum of the batch sizes of successful calls
   * @param totalMicros time spent in the engine
   * @param warmupCalls warm-up calls run when the model was loaded; not counted in {@code calls}
   * @param warmupMicros time those spent in the engine; not counted in {@code totalMicros}
   * @param batching what its batcher has done; empty when the model does not batch
   */
  public record Model(String name, String version, boolean ready, long calls, long errors, long rows,
      long totalMicros, long loadMillis, long warmupCalls, long warmupMicros, Optional<BatchStats> batching) {}
}
