package io.junction.orchestrator.admission;

import java.util.Map;
import java.util.Objects;

/**
 * How many requests the orchestrator works on at once, and how that capacity is shared between
 * priorities (the {@code admission:} section, docs/configuration.md).
 *
 * @param maxInFlight        requests admitted and not yet ended, of every priority together
 * @param batchShare         the part of {@code maxInFlight} batch requests may hold, 0 (exclusive) to
 *                           1; the rest is kept for interactive ones, so batch is shed first
 * @param pipelinePriorities each pipeline's default priority (its {@code priority:}), for requests
 *                           that name none; a pipeline or model not listed is interactive
 */
public record AdmissionConfig(int maxInFlight, double batchShare, Map<String, Priority> pipelinePriorities) {
  /**
   * Admission's capacity unless the config says otherwise: the depth the pools' queues had before
   * admission existed (max_queue 1024), so that a load they served is still served.
   */
  public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
  public static final double DEFAULT_BATCH_SHARE = 0.5;
  public static final AdmissionConfig DEFAULT =
      new AdmissionConfig(DEFAULT_MAX_IN_FLIGHT, DEFAULT_BATCH_SHARE, Map.of());
  /** The most that makes sense: more would only let memory grow. */
  public static final int MAX_IN_FLIGHT_LIMIT = 1_000_000;

  public AdmissionConfig {
    if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
      throw new IllegalArgumentException("admission.max_in_flight: " + maxInFlight + " (expected: 1.."
          + MAX_IN_FLIGHT_LIMIT + ")");
    }
    if (!(batchShare > 0 && batchShare <= 1)) {
      throw new IllegalArgumentException("admission.batch_share: " + batchShare + " (expected: > 0 and <= 1)");
    }
    pipelinePriorities = Map.copyOf(pipelinePriorities);
  }

  /** Batch requests admitted at most at once: the share of the whole, at least one. */
  public int maxBatchInFlight() {
    return Math.max(1, (int) Math.floor(maxInFlight * batchShare));
  }

  /** The priority of a request to {@code name} (a pipeline or a model) that names none. */
  public Priority priorityOf(String name) {
    return pipelinePriorities.getOrDefault(name, Priority.INTERACTIVE);
  }

  /** These settings with each pipeline's default priority. */
  public AdmissionConfig withPipelinePriorities(Map<String, Priority> priorities) {
    return new AdmissionConfig(maxInFlight, batchShare, Objects.requireNonNull(priorities));
  }

  /**
   * How many calls a pool's queue must be able to hold so that no admitted request's step is
   * ever refused for want of room: every admitted request with every step it can have waiting
   * at once (a request's steps run at most {@code stepsPerRequest} at a time).
   */
  public long queueBound(int stepsPerRequest) {
    return (long) maxInFlight * Math.max(1, stepsPerRequest);
  }
}
