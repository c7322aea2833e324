package io.junction.workers.repository;

import java.util.List;

/**
 * A model's {@code batching:} block in model.yaml: the worker stacks concurrent requests for the
 * model along the batch dimension into one engine call (see docs/model-repository.md). Checked
 * against its model's {@code max_batch_size} when read; a model without the block does not batch.
 *
 * @param maxQueueDelayMicros how long the oldest queued request may wait for others to join it
 * @param preferredBatchSizes batch sizes worth dispatching without waiting, ascending, each at
 *     most max_batch_size; empty when none
 */
public record BatchingConfig(long maxQueueDelayMicros, List<Integer> preferredBatchSizes) {
  /** The longest queue delay model.yaml may ask for: one second. */
  public static final long MAX_QUEUE_DELAY_MICROS = 1_000_000;

  public BatchingConfig {
    preferredBatchSizes = List.copyOf(preferredBatchSizes);
  }
}
