package io.junction.orchestrator.transport;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.junction.grpc.EventLoops;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's one {@link EventLoops}: the gRPC server and every worker channel run on
 * it, so that a call to a worker leaves on the loop that received the request. One loop per
 * core the JVM sees. The group starts no thread until something is registered on it; the
 * lifecycle code closes it after the server and the pools.
 */
public final class TransportModule extends AbstractModule {
  /** Prefix of the loops' thread names. */
  public static final String THREAD_NAME = "junction-grpc";

  private static final Logger log = LoggerFactory.getLogger(TransportModule.class);

  @Provides
  @Singleton
  EventLoops eventLoops() {
    EventLoops loops = EventLoops.create(THREAD_NAME, EventLoops.defaultThreads());
    loops.fallbackReason().ifPresent(why ->
        log.warn("epoll transport unavailable ({}); using NIO, and TCP instead of Unix sockets to local workers", why));
    return loops;
  }
}
