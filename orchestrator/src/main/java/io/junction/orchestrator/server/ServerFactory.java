package io.junction.orchestrator.server;

import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.Pools;

/**
 * Builds the (not yet started) {@link JunctionServer} over started pools and compiled
 * pipelines. Bound by {@link ServerModule} instead of the server itself because the server's
 * inputs exist only after the lifecycle code has started the pools and compiled the pipelines.
 */
@FunctionalInterface
public interface ServerFactory {
  JunctionServer create(Pools pools, Pipelines pipelines);
}
