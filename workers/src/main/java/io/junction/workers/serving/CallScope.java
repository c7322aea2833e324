package io.junction.workers.serving;

import java.util.Optional;

/**
 * What the serving layer needs to know about the caller of one inference: whether it still
 * waits. The api layer implements it over gRPC's {@code Context}; serving never imports gRPC.
 */
@FunctionalInterface
public interface CallScope {
  /** Empty while the caller waits; otherwise why it stopped waiting. */
  Optional<CallAbandonedException.Reason> abandoned();

  /** A caller that always waits, for callers without deadlines. */
  static CallScope waiting() {
    return Optional::empty;
  }
}
