package io.junction.workers.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.inject.Guice;
import com.google.inject.Stage;
import io.junction.grpc.EventLoops;
import io.junction.workers.api.WorkerServer;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.serving.ModelHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The worker process: serves the models of one repository over the Open Inference Protocol and
 * WorkerControl. Its command line and its one stdout line are a contract with the orchestrator's
 * launcher:
 * <ul>
 *   <li>ready: {@code JUNCTION_WORKER_READY {"port":..,"pid":..,"device":..,"requested_device":..,
 *       "fell_back":..,"cpus":..,"models":[..],"socket":..,"http_port":..}} ({@code socket} only with
 *       {@code --socket}, {@code http_port} only with {@code --http-port})</li>
 *   <li>cannot start: {@code JUNCTION_WORKER_FAILED {"reason":".."}}, then exit 78 when a restart
 *       cannot help (bad flags, repository, model, missing GPU without fallback), else 1.</li>
 * </ul>
 * Logs go to stderr. SIGTERM, SIGINT, stdin EOF ({@code --exit-with-stdin}) and the death of
 * {@code --parent-pid} all stop it the same way: stop taking calls, finish those in flight
 * within a short grace, exit 0.
 *
 * <p>This class is the worker's lifecycle and the one place its injector is made: the command
 * line becomes a {@link WorkerOptions} record, {@link WorkerModule} binds it, and the
 * {@link WorkerStartup} the injector builds does the I/O when it is called here. The server
 * and the drain stay here by hand: they need the models loaded, which no module may do.
 */
@Command(name = "junction-worker", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Serves the models of one model repository over gRPC (Open Inference Protocol + WorkerControl).")
public final class WorkerMain {
  static final int EXIT_CONFIG = 78;
  static final String READY = "JUNCTION_WORKER_READY ";
  static final String FAILED = "JUNCTION_WORKER_FAILED ";
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final long PARENT_POLL_MILLIS = 500;
  private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().create();
  private static final String USAGE =
      "junction-worker --repository DIR [--models a,b] [--port P] [--host H] [--socket PATH] [--http-port P] [--device cpu|gpu:N] "
          + "[--fallback-cpu] [--cpus LIST] [--id ID] [--parent-pid PID] [--exit-with-stdin] [--queue N] "
          + "[--batching on|off]";

  @Option(names = "--repository", required = true, paramLabel = "DIR", description = "Model repository folder.")
  Path repository;

  @Option(names = "--models", split = ",", paramLabel = "a,b", description = "Models to load (default: all).")
  List<String> models;

  @Option(names = "--port", defaultValue = "0", paramLabel = "P", description = "Port; 0 picks a free one.")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "H", description = "Address to bind.")
  String host;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Also listen on this Unix domain socket (epoll only); removed at exit.")
  Path socket;

  @Option(names = "--http-port", paramLabel = "P",
      description = "Also serve the Open Inference Protocol's REST form over HTTP on this port of --host; 0 picks a"
          + " free one (default: no HTTP port).")
  Integer httpPort;

  @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu:N", description = "Device.")
  String device;

  @Option(names = "--fallback-cpu", description = "Run on the CPU when the GPU asked for is missing.")
  boolean fallbackCpu;

  @Option(names = "--cpus", paramLabel = "LIST",
      description = "CPUs the launcher pinned this process to (informational; the real affinity is reported).")
  String cpus;

  @Option(names = "--id", paramLabel = "ID", description = "Replica id, for logs.")
  String id;

  @Option(names = "--parent-pid", paramLabel = "PID", description = "Exit when this process is gone.")
  Long parentPid;

  @Option(names = "--exit-with-stdin", description = "Exit when stdin reaches end of file.")
  boolean exitWithStdin;

  @Option(names = "--queue", defaultValue = "256", paramLabel = "N", description = "Model calls that may queue.")
  int queue;

  @Option(names = "--batching", defaultValue = "on", paramLabel = "on|off",
      description = "Dynamic batching of the models whose model.yaml asks for it; off turns it off for all.")
  String batching;

  @Option(names = "--allow-fault-injection", defaultValue = "${sys:junction.allowFaultInjection:-false}",
      description = "TEST ONLY: accept WorkerControl.InjectFault, which makes every inference fail. Also turned on"
          + " by -Djunction.allowFaultInjection=true (a local pool's jvm_options).")
  boolean allowFaultInjection;

  private final CountDownLatch stop = new CountDownLatch(1);
  private final AtomicReference<String> stopReason = new AtomicReference<>();
  private volatile boolean serving;
  private Logger log;

  public static void main(String[] args) {
    // Protocol lines go to the real stdout; anything else that prints goes to stderr.
    PrintStream protocol = System.out;
    System.setOut(System.err);
    System.exit(run(args, protocol));
  }

  /** Runs a worker until it is told to stop; returns the exit status. */
  static int run(String[] args, PrintStream protocol) {
    WorkerMain main = new WorkerMain();
    CommandLine cli = new CommandLine(main);
    try {
      CommandLine.ParseResult parsed = cli.parseArgs(args);
      if (parsed.isUsageHelpRequested()) {
        cli.usage(protocol);
        return 0;
      }
      if (parsed.isVersionHelpRequested()) {
        cli.printVersionHelp(protocol);
        return 0;
      }
    } catch (CommandLine.ParameterException e) {
      fail(protocol, e.getMessage() + " (expected: " + USAGE + ")");
      System.err.println(e.getMessage());
      return EXIT_CONFIG;
    }
    return main.serve(protocol);
  }

  private int serve(PrintStream protocol) {
    System.setProperty("junction.worker.id", id == null || id.isBlank() ? "worker" : id);
    log = LoggerFactory.getLogger(WorkerMain.class);
    startWatchers();
    ModelHost host = null;
    WorkerServer server = null;
    // Sized to the cores this JVM sees (-XX:ActiveProcessorCount follows the replica's cpus).
    EventLoops loops = EventLoops.create("worker-grpc", EventLoops.defaultThreads());
    loops.fallbackReason().ifPresent(why -> log.warn("epoll transport unavailable ({}); using NIO", why));
    try {
      WorkerOptions options = options();
      if (options.socket().isPresent() && !loops.unixSockets()) {
        throw WorkerStartup.config("socket: " + options.socket().get() + " (expected: no --socket with the "
            + loops.transport() + " transport; Unix sockets need epoll)");
      }
      // The process's one injector; what it builds does no I/O until start() below.
      WorkerStartup startup = Guice.createInjector(Stage.PRODUCTION, new WorkerModule(options))
          .getInstance(WorkerStartup.class);
      WorkerStartup.Started started = startup.start();
      host = started.host();
      server = WorkerServer.start(options.host(), options.port(), options.socket(), options.httpPort(), host, loops);
      ServerWarmup.run(host);
      host.startServing();
      server.health().serving();
      serving = true;
      Map<String, Object> ready = new LinkedHashMap<>();
      ready.put("port", server.port());
      ready.put("pid", ProcessHandle.current().pid());
      ready.put("device", started.device().device());
      ready.put("requested_device", started.device().requested().toString());
      ready.put("fell_back", started.device().fellBack());
      ready.put("cpus", started.cpus().list());
      ready.put("models", started.models());
      options.socket().ifPresent(p -> ready.put("socket", p.toString()));
      server.httpPort().ifPresent(p -> ready.put("http_port", p));
      protocol.println(READY + JSON.toJson(ready));
      protocol.flush();
      log.info("Serving {} on {}:{}{}{} ({}, cpus {}, {})", started.models(), options.host(), server.port(),
          options.socket().map(p -> " and " + p).orElse(""),
          server.httpPort().isPresent() ? ", HTTP on port " + server.httpPort().getAsInt() : "", started.device().device(), started.cpus().list(), loops);
    } catch (StartupException e) {
      log.error("Cannot start: {}", e.getMessage(), e.getCause());
      fail(protocol, e.getMessage());
      closeQuietly(server, host, loops);
      return e.permanent() ? EXIT_CONFIG : 1;
    } catch (IOException | RuntimeException e) {
      log.error("Cannot start", e);
      fail(protocol, "start: " + e);
      closeQuietly(server, host, loops);
      return 1;
    }

    awaitStop();
    log.info("Stopping ({}): draining for up to {} ms", stopReason.get(), STOP_GRACE.toMillis());
    watchdog();
    try {
      server.health().draining();
      int abandoned = host.drain(STOP_GRACE).get();
      if (abandoned > 0) {
        log.warn("{} calls still in flight after the grace period", abandoned);
      }
    } catch (Exception e) {
      log.warn("Drain failed", e);
    }
    closeQuietly(server, host, loops);
    log.info("Stopped");
    return 0;
  }

  /**
   * The command line as a checked record.
   *
   * @throws StartupException (permanent) naming the flag that is wrong
   */
  private WorkerOptions options() throws StartupException {
    if (!batching.equals("on") && !batching.equals("off")) {
      throw WorkerStartup.config("batching: \"" + batching + "\" (expected: on or off)");
    }
    try {
      return new WorkerOptions(repository,
          models == null ? List.of() : List.copyOf(new LinkedHashSet<>(models)),
          this.host, port, Optional.ofNullable(socket),
          httpPort == null ? OptionalInt.empty() : OptionalInt.of(httpPort), DeviceRequest.parse(device), fallbackCpu,
          Optional.ofNullable(cpus), queue, batching.equals("on"), allowFaultInjection);
    } catch (IllegalArgumentException e) {
      throw WorkerStartup.config(e.getMessage());
    }
  }

  private void startWatchers() {
    if (exitWithStdin) {
      Thread t = new Thread(() -> {
        InputStream in = System.in;
        byte[] buf = new byte[256];
        try {
          while (in.read(buf) >= 0) {
            // Whatever the parent writes is ignored: only the end of the stream matters.
          }
        } catch (IOException e) {
          // A broken pipe means the parent is gone, as EOF does.
        }
        requestStop("stdin closed");
      }, "stdin-watch");
      t.setDaemon(true);
      t.start();
    }
    if (parentPid != null) {
      long pid = parentPid;
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "parent-watch");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(() -> {
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        if (!alive) {
          requestStop("parent process " + pid + " is gone");
        }
      }, 0, PARENT_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }
    // sun.misc.Signal (jdk.unsupported) rather than a shutdown hook: the contract is exit status 0
    // after a drain on SIGTERM, and a JVM that exits through its hooks reports 143.
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> requestStop("SIGTERM"));
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> requestStop("SIGINT"));
    } catch (IllegalArgumentException e) {
      log.warn("Cannot handle signals ({}); SIGTERM will exit without draining", e.getMessage());
    }
  }

  private void requestStop(String reason) {
    if (!stopReason.compareAndSet(null, reason)) {
      return;
    }
    if (!serving) {
      // Still starting: nothing to drain, and the main thread may be inside the engine.
      log.info("Stopping before ready ({})", reason);
      System.exit(0);
    }
    stop.countDown();
  }

  private void awaitStop() {
    while (true) {
      try {
        stop.await();
        return;
      } catch (InterruptedException e) {
        // Only a stop request ends the wait.
      }
    }
  }

  /** A stop that hangs must not leave a worker behind holding its port and memory. */
  private void watchdog() {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(STOP_GRACE.toMillis() + 10_000);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("junction-worker: stop did not finish in time; halting");
      Runtime.getRuntime().halt(1);
    }, "stop-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(WorkerServer server, ModelHost host, EventLoops loops) {
    if (server != null) {
      server.stop(2_000);
    }
    if (host != null) {
      host.close();
    }
    loops.close();
  }

  private static void fail(PrintStream protocol, String reason) {
    protocol.println(FAILED + JSON.toJson(Map.of("reason", reason)));
    protocol.flush();
  }
}
