package io.junction.orchestrator.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.junction.grpc.EventLoops;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.session.Sessions;
import jakarta.inject.Singleton;

/**
 * The server package's bindings: a {@link ServerFactory} holding the listening options, the
 * API limits the process module binds, the process's event loops and its session store. The server is created and bound to its ports by the
 * lifecycle code, never by the injector.
 */
public final class ServerModule extends AbstractModule {
  @Provides
  @Singleton
  ServerFactory serverFactory(ServerOptions options, ApiLimits limits, EventLoops loops, Sessions sessions) {
    return (pools, pipelines) -> new JunctionServer(options, pools, pipelines, limits, loops, sessions, System::nanoTime);
  }
}
