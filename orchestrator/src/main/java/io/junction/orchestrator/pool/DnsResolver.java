package io.junction.orchestrator.pool;

import java.io.IOException;
import java.net.InetAddress;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Looks a dns pool's name up: the addresses it resolves to now, as IP literals. May block (a DNS
 * server that does not answer), so the pool calls it on a thread of its own, never on its event
 * thread. Tests give a fake one.
 */
@FunctionalInterface
interface DnsResolver {
  /**
   * @throws IOException when the lookup fails (unknown name, no DNS server answering); an empty
   *     list is an answer without addresses
   */
  List<String> resolve(String host) throws IOException;

  /**
   * The JDK's resolver ({@link InetAddress#getAllByName}: /etc/hosts, then DNS, or the file of
   * {@code -Djdk.net.hosts.file}). The JVM caches positive answers for 30 s unless told
   * otherwise, which would hide a scale-up or a replaced pod for that long: unless the user set
   * {@code networkaddress.cache.ttl} (java.security) or {@code -Dsun.net.inetaddr.ttl}, this sets
   * {@code networkaddress.cache.ttl} to {@value #POSITIVE_TTL_SECONDS}, so that each lookup asks
   * again and the pool's resolve interval is the only cache. The JVM reads that setting at its
   * first name lookup, so the orchestrator creates this before looking any name up (its
   * listeners and workers use IP literals, which are not looked up).
   */
  static DnsResolver jdk() {
    applyTtl();
    return host -> {
      List<String> out = new ArrayList<>();
      for (InetAddress a : InetAddress.getAllByName(host)) {
        out.add(a.getHostAddress());
      }
      return out;
    };
  }

  /** For pool sets without dns pools: every lookup fails. */
  DnsResolver NONE = host -> {
    throw new java.net.UnknownHostException(host + ": no resolver (expected: a pool set with dns pools)");
  };

  /** The JVM's positive cache time this sets, in seconds: none, our resolve interval is the cache. */
  String POSITIVE_TTL_SECONDS = "0";

  /** Sets the JVM's positive DNS cache time, unless the user (or an earlier call) set one. */
  private static void applyTtl() {
    String security = Security.getProperty("networkaddress.cache.ttl");
    String system = System.getProperty("sun.net.inetaddr.ttl");
    if (security == null && system == null) {
      Security.setProperty("networkaddress.cache.ttl", POSITIVE_TTL_SECONDS);
    } else if (!POSITIVE_TTL_SECONDS.equals(security)) {
      LoggerFactory.getLogger(DnsResolver.class).info("dns pools: the JVM caches name lookups for {} s, as set by {}"
          + " (a lookup may see an answer that old)", security != null ? security : system,
          security != null ? "networkaddress.cache.ttl" : "sun.net.inetaddr.ttl");
    }
  }
}
