package io.junction.workers.cli;

import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a worker serves and where, from its command line, checked once when it is built. The
 * process-lifetime flags (--id, --parent-pid, --exit-with-stdin) are not here: they are used
 * before the injector exists, to name the logs and to watch the parent.
 *
 * @param repository  the model repository folder
 * @param models      models to load, without duplicates; empty means every model of the repository
 * @param host        address to bind
 * @param port        port to bind; 0 picks a free one
 * @param socket      a Unix domain socket to listen on besides the port (the orchestrator's local replicas)
 * @param httpPort    an HTTP port for the Open Inference Protocol's REST form, on {@code host}; 0 picks a
 *                    free port; empty (the default) opens none
 * @param device      the device asked for
 * @param fallbackCpu run on the CPU when the GPU asked for is missing
 * @param cpus        the CPU list the launcher says it pinned us to (informational)
 * @param queue       model calls that may wait for a thread (and requests that may wait for a batch, per model)
 * @param batching    false turns dynamic batching off for every model (--batching off)
 * @param allowFaultInjection test only: WorkerControl.InjectFault may fail every inference (--allow-fault-injection)
 */
record WorkerOptions(Path repository, List<String> models, String host, int port, Optional<Path> socket,
    OptionalInt httpPort, DeviceRequest device, boolean fallbackCpu, Optional<String> cpus, int queue, boolean batching,
    boolean allowFaultInjection) {

  /** @throws IllegalArgumentException naming the flag, the value and what was expected */
  WorkerOptions {
    Objects.requireNonNull(repository, "repository");
    models = List.copyOf(models);
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(httpPort, "httpPort");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(cpus, "cpus");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0..65535; 0 picks a free port)");
    }
    if (httpPort.isPresent() && (httpPort.getAsInt() < 0 || httpPort.getAsInt() > 65535)) {
      throw new IllegalArgumentException("http-port: " + httpPort.getAsInt()
          + " (expected: 0..65535; 0 picks a free port; absent for no HTTP port)");
    }
    if (queue < 1) {
      throw new IllegalArgumentException("queue: " + queue + " (expected: >= 1)");
    }
    cpus.ifPresent(list -> {
      try {
        CpuAffinity.countCpus(list);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cpus: \"" + list + "\" (expected: a CPU list such as 0-3,8)", e);
      }
    });
  }
}
