package io.junction.orchestrator.pool;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.junction.grpc.EventLoops;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The pool package's bindings: the one {@link Pools} of the process, built from the pool specs
 * the process module binds. {@link Pools#create} only builds replicas; nothing is launched or
 * probed until the lifecycle code calls {@link Pools#start()}, which is why this provider may
 * run inside the injector.
 */
public final class PoolModule extends AbstractModule {
  @Provides
  @Singleton
  Pools pools(List<PoolSpec> specs, EventLoops loops) {
    return Pools.create(specs, loops);
  }
}
