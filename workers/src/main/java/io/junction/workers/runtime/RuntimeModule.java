package io.junction.workers.runtime;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import jakarta.inject.Singleton;

/**
 * The runtime package's bindings: how the worker looks for GPUs. Only the probe is bound; asking
 * it, starting the engine ({@link ModelLoader#tensorFlow}) and reading the CPU affinity are
 * I/O, which the worker's startup does, not the injector.
 */
public final class RuntimeModule extends AbstractModule {
  @Provides
  @Singleton
  GpuProbe gpuProbe() {
    return GpuProbe.cuda();
  }
}
