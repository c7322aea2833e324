package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * What a pool of {@code kind: dns} resolves: a name whose addresses are its members (a
 * Kubernetes headless Service), the port every member listens on, and how often the name is
 * looked up again. Validated by the config loader. Immutable.
 *
 * @param host            the name to resolve, e.g. workers.junction.svc.cluster.local
 * @param port            the port of every member (1 to 65535)
 * @param resolveInterval between lookups; a member whose connection fails brings the next one forward
 */
public record DnsService(String host, int port, Duration resolveInterval) {
  /** Between lookups unless the config says otherwise: Kubernetes answers change within seconds. */
  public static final Duration DEFAULT_RESOLVE_INTERVAL = Duration.ofSeconds(5);
  /** The least resolve_interval_ms a config may give: more often only loads the DNS server. */
  public static final Duration MIN_RESOLVE_INTERVAL = Duration.ofMillis(100);
  /** The most: an hour, beyond which a scale-up would go unnoticed for too long to be a wish. */
  public static final Duration MAX_RESOLVE_INTERVAL = Duration.ofHours(1);
  /** The most members a dns pool takes from one answer (as many as a local pool's replicas). */
  public static final int MAX_MEMBERS = 64;

  public DnsService {
    Objects.requireNonNull(host);
    Objects.requireNonNull(resolveInterval);
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("service: \"" + host + ":" + port + "\" (expected: host:port)");
    }
    if (resolveInterval.isNegative() || resolveInterval.isZero()) {
      throw new IllegalArgumentException("resolve_interval: " + resolveInterval + " (expected: > 0)");
    }
  }

  /** host:port, as the config writes it. */
  public String name() {
    return host + ":" + port;
  }

  /** The member at {@code address} (an IP literal): address:port, IPv6 in brackets. */
  String endpointOf(String address) {
    return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
  }
}
