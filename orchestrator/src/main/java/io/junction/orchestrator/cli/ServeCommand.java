package io.junction.orchestrator.cli;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.ProvisionException;
import com.google.inject.Stage;
import io.junction.orchestrator.config.ConfigException;
import io.junction.orchestrator.config.ConfigLoader;
import io.junction.orchestrator.config.JunctionConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code junction serve}: loads the config (or the demo's), starts everything through
 * {@link Serving}, and serves until SIGTERM or SIGINT; then it drains, stops the workers and
 * exits 0. A start that fails exits 1 with the error, which names the file and key, the pool
 * and replica, the pipeline and step, or the port.
 */
@Command(name = "serve", description = "Run the orchestrator: start the pools' workers, compile the pipelines, serve gRPC and HTTP.")
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "The YAML config (default: the demo over --repository).")
  Path config;

  @Option(names = "--repository", paramLabel = "DIR",
      description = "Model repository of the demo (default: -Djunction.repository, else $JUNCTION_REPOSITORY, "
          + "else models/target/model-repository); built first if missing. Not used with --config.")
  Path repository;

  @Option(names = "--port", paramLabel = "PORT", description = "Public gRPC port, overriding the config's server.port (0 picks a free one).")
  Integer port;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port of /metrics, /healthz and /readyz, overriding server.http_port.")
  Integer httpPort;

  @Override
  public Integer call() throws Exception {
    JunctionConfig cfg = load();
    // Until serving starts, a SIGTERM exits the JVM the default way; this hook then stops the
    // workers already launched. Afterwards it only covers exits other than the signals below.
    AtomicReference<AutoCloseable> running = new AtomicReference<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(running.get()), "junction-shutdown"));
    Serving serving = serving(cfg);
    running.set(serving);
    serving.start();
    CountDownLatch stop = new CountDownLatch(1);
    Shutdown.onSignals(stop::countDown);
    log.info("Junction serving on {}:{} (HTTP {}:{} /healthz /readyz /metrics; {} transport)", cfg.server().host(),
        serving.grpcPort(), cfg.server().host(), serving.httpPort(), serving.transport());
    stop.await();
    serving.close();
    return 0;
  }

  /**
   * The process's one injector, and the lifecycle object it builds; nothing has started yet.
   * A Guice error whose one cause is ours (a pool the pool package refuses, say) is reported
   * as that cause, so that the user reads our message rather than Guice's wrapping of it.
   */
  static Serving serving(JunctionConfig cfg) {
    try {
      return Guice.createInjector(Stage.PRODUCTION, new ServeModule(cfg)).getInstance(Serving.class);
    } catch (CreationException | ProvisionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  private JunctionConfig load() throws ConfigException {
    checkPort("--port", port);
    checkPort("--http-port", httpPort);
    JunctionConfig cfg = loadFile();
    JunctionConfig.Server server = cfg.server();
    int grpc = port != null ? port : server.port();
    int http = httpPort != null ? httpPort : server.httpPort();
    if (grpc != 0 && grpc == http) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--port and --http-port: both " + grpc + " (expected: two different ports, or 0 to pick free ones)");
    }
    return cfg.withServer(new JunctionConfig.Server(server.host(), grpc, http, server.shutdownGrace()));
  }

  private void checkPort(String flag, Integer value) {
    if (value != null && (value < 0 || value > 65535)) {
      throw new CommandLine.ParameterException(spec.commandLine(), flag + ": " + value + " (expected: 0..65535)");
    }
  }

  private JunctionConfig loadFile() throws ConfigException {
    if (config != null) {
      return ConfigLoader.load(config);
    }
    Path repo = (repository != null ? repository : Repository.resolve()).toAbsolutePath().normalize();
    if (!Repository.isBuilt(repo)) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("no model repository at " + repo + " (expected: kit.yaml there): building the demo models first");
      out.flush();
      ModelsCommand.build(repo, out);
    }
    return ConfigLoader.demo(repo);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("while stopping: {}", e.toString());
    }
  }
}
