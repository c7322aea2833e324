package io.junction.orchestrator.session;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import jakarta.inject.Singleton;

/**
 * The session package's bindings: the one {@link Sessions} store of the process, with the bounds
 * the process module binds, on the system's monotonic clock. An empty store: nothing to start.
 */
public final class SessionModule extends AbstractModule {
  @Provides
  @Singleton
  Sessions sessions(SessionConfig config) {
    return Sessions.create(config, System::nanoTime);
  }
}
