package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.workers.runtime.TensorFlowNatives;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A foreign Open Inference Protocol server (Triton, MLServer, KServe) run for a test from the venv
 * that {@code bin/install-foreign-servers} made under {@code <cache>/foreign/}, with the models of
 * {@code src/test/foreign/}: started on free ports of 127.0.0.1, awaited until its gRPC side says
 * the server and the model are ready (within a bound), and stopped with every process it started
 * (Triton's python-backend stubs, MLServer's workers). A missing venv fails the test, never skips
 * it, saying how to install it.
 */
final class ForeignServer implements AutoCloseable {
  static final String INSTALL = "bin/install-foreign-servers (bin/install-prerequisites, which bin/test runs, "
      + "calls it)";
  private static final Path FOREIGN = Path.of("src", "test", "foreign").toAbsolutePath();
  private static final Path LOGS = Path.of("target", "e2e-logs");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  final String name;
  final String model;
  /** host:port of its Open Inference Protocol gRPC service. */
  final String endpoint;
  private final Process process;
  private final Path log;

  private ForeignServer(String name, String model, int grpcPort, Process process, Path log) {
    this.name = name;
    this.model = model;
    this.endpoint = "127.0.0.1:" + grpcPort;
    this.process = process;
    this.log = log;
  }

  /** Triton 2.51 serving the python-backend model {@code affine} (OUTPUT0 = 2 * INPUT0 + 1). */
  static ForeignServer triton(String name) throws IOException {
    int grpc = OrchestratorProcess.freePort();
    List<String> command = List.of(Path.of("..", "bin", "triton-server").toAbsolutePath().normalize().toString(),
        venv("triton").toString(),
        "--model-repository=" + FOREIGN.resolve("triton").resolve("repository"),
        "--http-address=127.0.0.1", "--http-port=" + OrchestratorProcess.freePort(),
        "--grpc-address=127.0.0.1", "--grpc-port=" + grpc,
        "--allow-metrics=false", "--log-verbose=0");
    return start(name, "affine", grpc, command, Map.of(), null);
  }

  /** MLServer 1.7.1 serving the custom runtime {@code square_sum} (y[i] = sum_j x[i, j]^2). */
  static ForeignServer mlserver(String name) throws IOException {
    int grpc = OrchestratorProcess.freePort();
    Path dir = Files.createDirectories(Path.of("target", "foreign", name).toAbsolutePath());
    Path models = FOREIGN.resolve("mlserver").resolve("models");
    // MLServer reads settings.json from the folder it serves, and finds model-settings.json files under it.
    Files.writeString(dir.resolve("settings.json"), """
        {"debug": false, "host": "127.0.0.1", "http_port": %d, "grpc_port": %d, "metrics_port": %d,
         "metrics_endpoint": null, "parallel_workers": 0, "load_models_at_startup": true}
        """.formatted(OrchestratorProcess.freePort(), grpc, OrchestratorProcess.freePort()));
    Path link = dir.resolve("square_sum");
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, models.resolve("square_sum"));
    List<String> command = List.of(venv("mlserver").resolve("bin").resolve("mlserver").toString(),
        "start", dir.toString());
    return start(name, "square_sum", grpc, command,
        Map.of("PYTHONPATH", FOREIGN.resolve("mlserver").toString()), dir.toFile());
  }

  /** KServe 0.21's ModelServer serving {@code halve} (y = 0.5 * x - 3), FP32. */
  static ForeignServer kserve(String name) throws IOException {
    return kserve(name, OrchestratorProcess.freePort(), "FP32");
  }

  /** As {@link #kserve(String)}, on the given gRPC port, {@code halve} in FP32 or FP64. */
  static ForeignServer kserve(String name, int grpcPort, String datatype) throws IOException {
    List<String> command = List.of(venv("kserve").resolve("bin").resolve("python").toString(),
        FOREIGN.resolve("kserve").resolve("server.py").toString(),
        "--grpc_port", Integer.toString(grpcPort), "--http_port", Integer.toString(OrchestratorProcess.freePort()),
        "--workers", "1", "--datatype", datatype);
    return start(name, "halve", grpcPort, command, Map.of(), null);
  }

  private static Path venv(String server) {
    Path venv = TensorFlowNatives.cacheRoot().resolve("foreign").resolve(server);
    assertThat(Files.isExecutable(venv.resolve("bin").resolve("python")))
        .as("the %s environment at %s; install it with %s", server, venv, INSTALL).isTrue();
    return venv;
  }

  private static ForeignServer start(String name, String model, int grpcPort, List<String> command,
      Map<String, String> env, java.io.File dir) throws IOException {
    Files.createDirectories(LOGS);
    Path log = LOGS.resolve(name + ".log").toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    if (dir != null) {
      pb.directory(dir);
    }
    pb.environment().putAll(env);
    ForeignServer server = new ForeignServer(name, model, grpcPort, pb.start(), log);
    try {
      server.awaitReady();
    } catch (IOException | RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  private void awaitReady() throws IOException {
    ManagedChannel channel = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
    try {
      var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
      long end = System.nanoTime() + READY_TIMEOUT.toNanos();
      String last = "no answer yet";
      while (System.nanoTime() < end) {
        if (!process.isAlive()) {
          throw new AssertionError(name + " exited with " + process.exitValue() + "; its log:\n" + tail());
        }
        try {
          if (stub.withDeadlineAfter(2, TimeUnit.SECONDS).serverReady(ServerReadyRequest.getDefaultInstance()).getReady()
              && stub.withDeadlineAfter(2, TimeUnit.SECONDS)
                  .modelReady(ModelReadyRequest.newBuilder().setName(model).build()).getReady()) {
            return;
          }
          last = "not ready";
        } catch (RuntimeException e) {
          last = e.getMessage();
          // as OrchestratorProcess.awaitPools does: not the channel's growing reconnect backoff
          channel.resetConnectBackoff();
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      throw new AssertionError(name + " not ready within " + READY_TIMEOUT + " (last: " + last + "); its log:\n" + tail());
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * The local addresses of the TCP sockets that the server's processes listen on, as
   * {@code /proc/net/tcp} and {@code tcp6} show them (address:port, hex as there).
   */
  List<String> listeningAddresses() throws IOException {
    Set<String> inodes = new HashSet<>();
    for (ProcessHandle p : tree()) {
      Path fds = Path.of("/proc", Long.toString(p.pid()), "fd");
      try (Stream<Path> list = Files.list(fds)) {
        for (Path fd : (Iterable<Path>) list::iterator) {
          try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              inodes.add(target.substring(8, target.length() - 1));
            }
          } catch (IOException e) {
            // closed meanwhile
          }
        }
      } catch (IOException e) {
        // the process went away meanwhile
      }
    }
    List<String> listening = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table), StandardCharsets.US_ASCII);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
          listening.add(f[1]);
        }
      }
    }
    return listening;
  }

  /** Whether a /proc/net/tcp[6] local address (hex) is on 127.0.0.1 (or ::ffff:127.0.0.1, or ::1). */
  static boolean loopback(String hexAddressAndPort) {
    String address = hexAddressAndPort.substring(0, hexAddressAndPort.indexOf(':'));
    return address.equals("0100007F") // 127.0.0.1, little-endian
        || address.equals("0000000000000000FFFF00000100007F")
        || address.equals("00000000000000000000000001000000");
  }

  private List<ProcessHandle> tree() {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(process.toHandle());
    process.toHandle().descendants().forEach(all::add);
    return all;
  }

  boolean alive() {
    return process.isAlive();
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Kills the server and every process it started at once (KILL), as a crash would. */
  void kill() {
    List<ProcessHandle> all = tree();
    all.forEach(ProcessHandle::destroyForcibly);
    awaitExit(all);
  }

  /**
   * Stops the server and every process it started: TERM to all of them (the descendants are
   * listed first, while the parent still links them), KILL to what is left after a grace.
   */
  @Override
  public void close() {
    List<ProcessHandle> all = tree();
    all.forEach(ProcessHandle::destroy);
    long end = System.nanoTime() + STOP_GRACE.toNanos();
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
    awaitExit(all);
  }

  private void awaitExit(List<ProcessHandle> all) {
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(name + ": process " + p.pid() + " did not exit after KILL", e);
      }
    }
  }
}
