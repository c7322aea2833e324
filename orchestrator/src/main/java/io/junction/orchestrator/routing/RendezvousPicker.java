package io.junction.orchestrator.routing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Session affinity by rendezvous (highest-random-weight) hashing: each candidate gets a weight
 * from the key and its id, and the heaviest with room wins. No ring and no state: the candidates
 * offered (the READY replicas) are the membership, so a replica that leaves routing moves only
 * the keys it was heaviest for, and moves them back when it returns.
 *
 * <p>A key's candidate at its in-flight limit: the request spills to the key's next candidate in
 * rank order (the heaviest with room). Waiting for the full one would need a queue in the
 * orchestrator, whose hot path never blocks and holds no queue; answering RESOURCE_EXHAUSTED
 * would fail a request that other replicas could serve, where affinity is a preference (a warm
 * replica), not a requirement: workers keep no session state, so any of them can serve any call.
 * Spilling by rank also sends the overflow where the session would go if its replica left, so a
 * spill and a failover agree, and two sessions that share a full replica spill to different ones.
 *
 * <p>Must not keep per-key state: keys are unbounded (every session a client invents).
 */
final class RendezvousPicker implements Picker {
  private final int maxInFlight;
  private final Picker unkeyed;

  RendezvousPicker(int maxInFlight, Picker unkeyed) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
    }
    this.maxInFlight = maxInFlight;
    this.unkeyed = Objects.requireNonNull(unkeyed, "unkeyed");
  }

  @Override
  public <T extends Candidate> Optional<T> pick(List<T> candidates) {
    return unkeyed.pick(candidates);
  }

  @Override
  public <T extends Candidate> Optional<T> pick(List<T> candidates, String key) {
    if (key == null || key.isEmpty()) {
      return unkeyed.pick(candidates);
    }
    long keyHash = hash(key);
    T best = null;
    long bestWeight = 0;
    for (T c : candidates) {
      if (c.inFlight() >= maxInFlight) {
        continue;
      }
      long w = weight(keyHash, c.id());
      // Ties (in theory only) go to the smaller id, so that the order offered never matters.
      if (best == null || Long.compareUnsigned(w, bestWeight) > 0
          || (w == bestWeight && c.id().compareTo(best.id()) < 0)) {
        best = c;
        bestWeight = w;
      }
    }
    return Optional.ofNullable(best);
  }

  /** The weight of candidate {@code id} for the key whose {@link #hash} is {@code keyHash}; compare unsigned. */
  static long weight(long keyHash, String id) {
    return mix(keyHash ^ hash(id));
  }

  /**
   * FNV-1a over the UTF-16 units, then a 64-bit finaliser: fixed across processes and versions,
   * unlike {@code String.hashCode} (32 bits, and ids like "pool-0" and "pool-1" differ in one
   * unit, which the finaliser spreads over every bit).
   */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** SplitMix64's finaliser: every input bit moves every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  @Override
  public String toString() {
    return "sessionAffinity(rendezvous, maxInFlight=" + maxInFlight + ", unkeyed=" + unkeyed + ")";
  }
}
