package io.junction.workers.cli;

import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelConfigException;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.UnknownModelException;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.DeviceUnavailableException;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.runtime.ModelLoadException;
import io.junction.workers.runtime.ModelLoader;
import io.junction.workers.serving.BatchTimer;
import io.junction.workers.serving.FaultSwitch;
import io.junction.workers.serving.ModelHost;
import jakarta.inject.Inject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a worker does before its server opens: reads its CPU affinity, opens the
 * repository and checks the models asked for, chooses the device, starts the engine and loads
 * the models. The injector builds it from the options and the GPU probe; the I/O happens when
 * {@link WorkerMain} calls {@link #start()}, never while the injector is built.
 */
final class WorkerStartup {
  private static final Logger log = LoggerFactory.getLogger(WorkerStartup.class);

  /** The models loaded, on the device and CPUs they run on; nothing is serving yet. */
  record Started(ModelHost host, DeviceSelection device, CpuAffinity cpus, List<String> models) {}

  private final WorkerOptions options;
  private final GpuProbe gpus;

  @Inject
  WorkerStartup(WorkerOptions options, GpuProbe gpus) {
    this.options = options;
    this.gpus = gpus;
  }

  /**
   * @throws StartupException permanent when the repository, a model or the device is wrong
   *     (restarting with the same flags cannot help)
   */
  Started start() throws StartupException {
    CpuAffinity affinity = CpuAffinity.current();
    options.cpus().filter(list -> !list.equals(affinity.list())).ifPresent(list ->
        log.warn("--cpus {} given but the process may run on {}; reporting the real affinity", list, affinity.list()));
    ModelRepository repo;
    List<String> names;
    try {
      repo = ModelRepository.open(options.repository());
      names = options.models().isEmpty() ? repo.modelNames() : options.models();
      if (names.isEmpty()) {
        throw config("repository: " + repo.root() + " has no models (expected: folders holding a model.yaml)");
      }
      for (String name : names) {
        ModelConfig c = repo.resolve(name);
        log.debug("{}: {} inputs, {} outputs", name, c.inputs().size(), c.outputs().size());
      }
    } catch (ModelConfigException | UnknownModelException e) {
      throw config(e.getMessage());
    }
    DeviceSelection selected;
    try {
      selected = DeviceSelection.choose(options.device(), options.fallbackCpu(), gpus);
    } catch (DeviceUnavailableException e) {
      throw config(e.getMessage());
    }
    if (selected.fellBack()) {
      log.warn("device {} not visible; running on the CPU (--fallback-cpu)", options.device());
    }
    ModelHost host = null;
    try {
      int cores = cores(affinity);
      ModelLoader loader = ModelLoader.tensorFlow(selected, cores);
      host = new ModelHost(repo, loader, selected, affinity, cores, options.queue(), System::nanoTime,
          options.batching(), BatchTimer.daemonThread(), new FaultSwitch(options.allowFaultInjection()));
      if (options.allowFaultInjection()) {
        log.warn("fault injection allowed (--allow-fault-injection): WorkerControl.InjectFault can fail every call;"
            + " for tests only");
      }
      for (String name : names) {
        host.load(name);
      }
      return new Started(host, selected, affinity, names);
    } catch (ModelLoadException | ModelConfigException | UnknownModelException e) {
      close(host);
      throw config(e.getMessage());
    } catch (RuntimeException e) {
      close(host);
      throw e;
    }
  }

  /**
   * The cores this worker may use: its affinity, or fewer when the JVM was told fewer
   * ({@code -XX:ActiveProcessorCount}, which the launcher passes to every local worker, pinned or
   * not) or a container limit says so. Model-call threads and TensorFlow's intra/inter-op pools
   * are sized to it, so that replicas sharing cores do not each run a pool per core.
   */
  static int cores(CpuAffinity affinity) {
    int jvm = Runtime.getRuntime().availableProcessors();
    int cores = Math.max(1, Math.min(affinity.count(), jvm));
    log.info("Sized to {} cores (affinity {} = {} cpus, JVM processors {})", cores,
        affinity.list().isEmpty() ? "unknown" : affinity.list(), affinity.count(), jvm);
    return cores;
  }

  private static void close(ModelHost host) {
    if (host != null) {
      host.close();
    }
  }

  static StartupException config(String message) {
    return new StartupException(message, true, null);
  }
}
