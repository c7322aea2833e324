package io.junction.orchestrator.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What the services accept, taken from the config's limits at start. The api package does not
 * read config itself (nothing on the right of the package map imports the left), so the wiring
 * copies the values here.
 *
 * @param maxTextChars      longest utterance {@code Converse} accepts, in characters after trimming
 * @param maxK              most items {@code Recommend} returns
 * @param defaultDeadline   deadline of a call that arrives without one
 * @param maxTensorElements most elements of one input tensor of ModelInfer, ModelStreamInfer and
 *                          PipelineService (config {@code limits.max_tensor_elements})
 * @param maxBatchSize      largest first dimension of such a tensor ({@code limits.max_batch_size})
 * @param maxStringBytes    longest BYTES element of such a tensor ({@code limits.max_string_bytes})
 */
public record ApiLimits(int maxTextChars, int maxK, Duration defaultDeadline, int maxTensorElements, int maxBatchSize,
    int maxStringBytes) {
  /** The demo's limits; also what tests use. */
  public static final ApiLimits DEFAULT =
      new ApiLimits(2000, 50, Duration.ofSeconds(30), 4 * 1024 * 1024, 1024, 64 * 1024);

  public ApiLimits {
    Objects.requireNonNull(defaultDeadline, "defaultDeadline");
    positive("maxTextChars", maxTextChars);
    positive("maxK", maxK);
    positive("maxTensorElements", maxTensorElements);
    positive("maxBatchSize", maxBatchSize);
    positive("maxStringBytes", maxStringBytes);
    if (defaultDeadline.isNegative() || defaultDeadline.isZero()) {
      throw new IllegalArgumentException("defaultDeadline: " + defaultDeadline + " (expected: > 0)");
    }
  }

  /** These typed-service limits with {@link #DEFAULT}'s tensor limits. */
  public ApiLimits(int maxTextChars, int maxK, Duration defaultDeadline) {
    this(maxTextChars, maxK, defaultDeadline, DEFAULT.maxTensorElements, DEFAULT.maxBatchSize, DEFAULT.maxStringBytes);
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
    }
  }
}
