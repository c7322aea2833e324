package io.junction.orchestrator.routing;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Chooses which candidate gets the next request. Implementations are thread-safe and
 * never block: they run on the caller's thread, often a gRPC event loop.
 */
public interface Picker {

  /**
   * One of {@code candidates} that is not full, or empty when every one is full (or there
   * are none). The caller still has to claim a slot on the chosen candidate: counts move
   * while we look, so the answer is a good guess, not a reservation.
   */
  <T extends Candidate> Optional<T> pick(List<T> candidates);

  /**
   * As {@link #pick(List)}, for a request that names a key (a session): pickers that place keys
   * choose by it; the others, and every picker for a null or empty key, ignore it.
   */
  default <T extends Candidate> Optional<T> pick(List<T> candidates, String key) {
    return pick(candidates);
  }

  /**
   * Least outstanding requests by the power of two choices: two distinct candidates drawn at
   * random, the one with fewer requests in flight wins. Close to "least loaded of all" in
   * effect, but without scanning every candidate or herding every caller onto the same one
   * when counts are stale. Candidates with {@code maxInFlight} or more in flight are left out.
   *
   * @param maxInFlight a candidate with this many requests in flight is full (>= 1)
   * @param random      where the draws come from; injected so that tests can script them
   */
  static Picker leastOutstanding(int maxInFlight, RandomGenerator random) {
    return new PowerOfTwoChoicesPicker(maxInFlight, random);
  }

  /**
   * Session affinity: a request with a key goes to the candidate that ranks highest for that key
   * by rendezvous (highest-random-weight) hashing, among those with fewer than
   * {@code maxInFlight} in flight; a request without a key goes to {@code unkeyed}. Each key's
   * ranking depends only on the key and the candidates' ids, so a key stays on its candidate
   * while that candidate is offered, and when one leaves only its own keys move (spread over the
   * others as evenly as hashing spreads them); when it comes back they return to it. The hash is
   * fixed (not {@code String.hashCode} or a per-process seed), so every orchestrator in front of
   * the same pool places a key alike.
   *
   * @param maxInFlight a candidate with this many requests in flight is full (>= 1): its keys
   *     spill to their next candidate in rank order
   * @param unkeyed     picks for requests without a key
   */
  static Picker sessionAffinity(int maxInFlight, Picker unkeyed) {
    return new RendezvousPicker(maxInFlight, unkeyed);
  }

  /** {@link #leastOutstanding(int, RandomGenerator)} drawing from each calling thread's own random. */
  static Picker leastOutstanding(int maxInFlight) {
    return new PowerOfTwoChoicesPicker(maxInFlight, new RandomGenerator() {
      // ThreadLocalRandom.current() must be fetched on the calling thread, never shared.
      @Override
      public long nextLong() {
        return ThreadLocalRandom.current().nextLong();
      }

      @Override
      public int nextInt(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
      }
    });
  }
}
