package io.junction.workers.cli;

import com.google.inject.AbstractModule;
import io.junction.workers.runtime.RuntimeModule;
import java.util.Objects;

/**
 * The worker process's module: binds the parsed command line and installs the runtime's
 * bindings. Does no I/O: the repository, the GPUs, the engine and the port are touched when
 * {@link WorkerMain} runs {@link WorkerStartup#start()} and opens the server.
 */
final class WorkerModule extends AbstractModule {
  private final WorkerOptions options;

  WorkerModule(WorkerOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  @Override
  protected void configure() {
    bind(WorkerOptions.class).toInstance(options);
    install(new RuntimeModule());
  }
}
