package io.junction.workers.serving;

import java.util.List;

/**
 * What one model's batcher has done since it was loaded.
 *
 * @param batches engine calls made for batches
 * @param rows rows of those batches: the sum of their sizes
 * @param jobs requests taken into batches
 * @param queueMicrosTotal time those requests waited in the queue, summed
 * @param queueMicrosMax the longest any of them waited
 * @param sizes batches by size, cumulative as Prometheus histogram buckets
 */
public record BatchStats(long batches, long rows, long jobs, long queueMicrosTotal, long queueMicrosMax,
    List<Bucket> sizes) {
  public BatchStats {
    sizes = List.copyOf(sizes);
  }

  /**
   * @param le the largest batch size counted, {@link Long#MAX_VALUE} for the last bucket (+Inf)
   * @param batches batches of at most {@code le} rows
   */
  public record Bucket(long le, long batches) {}
}
