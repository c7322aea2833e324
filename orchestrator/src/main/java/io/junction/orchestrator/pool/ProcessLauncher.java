package io.junction.orchestrator.pool;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forks worker JVMs. Each gets one dedicated daemon thread that reads its merged stdout and
 * stderr: it hands every line to the {@link OutputRelay} for our log under the replica's id
 * (never logging itself, so a slow log cannot stop it: lines are dropped and counted instead),
 * keeps the last lines for error messages, passes announcements on, and reports the exit once
 * the output has ended. A dedicated thread because reading a pipe blocks, and a child whose pipe
 * is not drained stalls when the pipe fills.
 *
 * <p>The child's stdin pipe is never written and never closed while we live: the worker
 * exits when it closes ({@code --exit-with-stdin}), which is how a killed orchestrator takes
 * its workers along.
 */
final class ProcessLauncher implements Launcher {
  /** Lines kept per process for error messages. */
  static final int TAIL_LINES = 30;

  private static final Logger workerLog = LoggerFactory.getLogger("io.junction.orchestrator.pool.worker");

  /** The log's side of the workers' output, on a thread of its own. */
  private final OutputRelay relay = new OutputRelay(OutputRelay.CAPACITY, new OutputRelay.Sink() {
    @Override
    public void line(String replicaId, String line) {
      if (isKnownNoise(line)) {
        workerLog.debug("[{}] {}", replicaId, line);
      } else {
        workerLog.info("[{}] {}", replicaId, line);
      }
    }

    @Override
    public void dropped(long count) {
      workerLog.warn("{} lines of worker output dropped: the log did not keep up", count);
    }
  });

  /**
   * TensorFlow 2.10's CUDA build prints this at ERROR level in every process, GPU or not, and
   * it is harmless; TF_CPP_MIN_LOG_LEVEL=3 would hide it but also every real error. Logged at
   * DEBUG so that operators do not chase it.
   */
  static boolean isKnownNoise(String line) {
    return line.contains("Unable to register cuBLAS factory")
        || line.contains("Unable to register cuDNN factory")
        || line.contains("Unable to register cuFFT factory");
  }

  @Override
  public WorkerProcess launch(String replicaId, WorkerCommand command, Listener listener) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command.command()).redirectErrorStream(true);
    builder.environment().putAll(command.environment());
    Process process = builder.start();
    ChildProcess child = new ChildProcess(process);
    Thread reader = new Thread(() -> pump(replicaId, child, listener), "junction-worker-output-" + replicaId);
    reader.setDaemon(true);
    reader.start();
    return child;
  }

  /** Stops the log relay, once the workers are gone. */
  @Override
  public void close() {
    relay.close();
  }

  private void pump(String replicaId, ChildProcess child, Listener listener) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(child.process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        relay.offer(replicaId, line);
        child.remember(line);
        Announcement.parse(line).ifPresent(listener::onAnnouncement);
      }
    } catch (IOException e) {
      // The pipe broke: the process is gone or going; its exit status says the rest.
      workerLog.debug("[{}] output ended: {}", replicaId, e.toString());
    }
    int status;
    while (true) {
      try {
        status = child.process.waitFor();
        break;
      } catch (InterruptedException e) {
        // Nobody interrupts this thread on purpose; keep waiting so the exit is never lost.
      }
    }
    listener.onExit(status);
  }

  private static final class ChildProcess implements WorkerProcess {
    private final Process process;
    private final ArrayDeque<String> tail = new ArrayDeque<>();

    ChildProcess(Process process) {
      this.process = process;
    }

    synchronized void remember(String line) {
      if (tail.size() == TAIL_LINES) {
        tail.removeFirst();
      }
      tail.addLast(line);
    }

    @Override
    public synchronized List<String> lastLines() {
      return List.copyOf(tail);
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public void terminate() {
      process.destroy();
    }

    @Override
    public void kill() {
      process.destroyForcibly();
    }

    @Override
    public boolean awaitExit(Duration timeout) throws InterruptedException {
      return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
  }
}
