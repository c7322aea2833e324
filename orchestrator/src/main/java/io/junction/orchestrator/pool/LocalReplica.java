package io.junction.orchestrator.pool;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A replica whose worker process we launch, watch and restart.
 *
 * <p>Each launch gets its own Unix socket in the pool's {@link SocketDir} (when the transport
 * has them): the worker listens there as well as on its TCP port, and the replica dials the
 * socket. The file is removed when that launch's process exits, however it ends.
 *
 * <p>A launch is READY once the worker has announced its port and answered ServerReady on it.
 * A process that dies after the replica has been READY is relaunched after a backoff. One
 * that dies before its first READY, or exits with status 78 (its configuration is wrong; its
 * FAILED announcement says why), is FAILED and never relaunched: a restart would fail the
 * same way, and failing fast gives the user the worker's own reason at start.
 */
final class LocalReplica extends Replica {
  /** Between readiness probes of a launch that has announced its port but is not ready yet. */
  static final Duration STARTING_PROBE_INTERVAL = Duration.ofMillis(200);
  /** How long a drained worker may take to exit after SIGTERM before it is killed. */
  static final Duration DRAINED_STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Launcher launcher;
  private final WorkerCommand.Host host;
  private final RestartBackoff backoff;
  private final SocketDir sockets;

  // Event thread only.
  private volatile Launcher.WorkerProcess process;
  private int generation;
  private long launchedAt;
  private boolean everReady;
  /** Set when this launch cannot succeed by restarting (an unreadable announcement, say). */
  private String permanentFailure;
  /** The reason of this launch's FAILED announcement; final only with exit status 78. */
  private String announcedFailure;
  private Scheduler.Cancellable startTimer = Scheduler.Cancellable.NONE;
  /**
   * Set when its autoscaled pool removes it: its drain ends with the worker stopped and the
   * replica STOPPED, instead of a fresh worker in its place.
   */
  private volatile boolean retiring;
  private Runnable onRetired = () -> {};

  LocalReplica(PoolSpec spec, int index, Scheduler scheduler, WorkerChannels channels,
      Launcher launcher, WorkerCommand.Host host, RestartBackoff backoff, SocketDir sockets) {
    super(spec, index, scheduler, channels);
    this.launcher = launcher;
    this.host = host;
    this.backoff = backoff;
    this.sockets = sockets;
  }

  @Override
  void begin() {
    launch();
  }

  /**
   * Drains the replica (out of routing; its calls in flight finish) and stops its worker for good;
   * {@code whenGone} runs on the event thread once the worker has exited and the replica is
   * STOPPED. Event thread.
   *
   * @return false when it was not READY or UNHEALTHY (any more): nothing happens then
   */
  boolean retire(Runnable whenGone) {
    onRetired = whenGone;
    retiring = true;
    if (!startDrain()) {
      retiring = false;
      onRetired = () -> {};
      return false;
    }
    return true;
  }

  /** Being drained to leave its pool (see {@link #retire}). */
  boolean retiring() {
    return retiring;
  }

  private void retired() {
    if (lifecycle.transition(ReplicaState.DRAINING, ReplicaState.STOPPED)) {
      log.info("pool {}: replica {} drained and STOPPED; it leaves the pool", spec.name(), id);
      onRetired.run();
    }
  }

  @Override
  List<String> lastLines() {
    Launcher.WorkerProcess p = process;
    return p == null ? List.of() : p.lastLines();
  }

  private void launch() {
    if (closing || state() != ReplicaState.STARTING) {
      return;
    }
    int gen = ++generation;
    permanentFailure = null;
    announcedFailure = null;
    process = null;
    pid = 0;
    endpoint = "";
    socket = "";
    device = "";
    cpus = spec.cpusOf(index).orElse(""); // until the worker reports its real affinity
    Optional<Path> socketPath = sockets.socketFor(id + "-" + gen);
    socketPath.ifPresent(SocketDir::remove);
    WorkerCommand command;
    try {
      command = WorkerCommand.forReplica(spec, index, host, socketPath);
    } catch (IllegalArgumentException e) {
      fail(e.getMessage());
      return;
    }
    launchedAt = scheduler.nanoTime();
    log.info("pool {}: starting replica {} on {}{}", spec.name(), id, spec.device(),
        spec.cpusOf(index).map(c -> " (cpus " + c + ")").orElse(""));
    try {
      process = launcher.launch(id, command, new Launcher.Listener() {
        @Override
        public void onAnnouncement(Announcement announcement) {
          scheduler.execute(() -> LocalReplica.this.onAnnouncement(gen, announcement));
        }

        @Override
        public void onExit(int status) {
          // This launch's socket, whatever became of the replica since: a killed worker leaves it.
          socketPath.ifPresent(SocketDir::remove);
          scheduler.execute(() -> LocalReplica.this.onExit(gen, status));
        }
      });
    } catch (IOException | RuntimeException e) {
      socketPath.ifPresent(SocketDir::remove);
      fail("could not launch the worker: " + e.getMessage());
      return;
    }
    pid = process.pid();
    startTimer = scheduler.schedule(spec.startTimeout(), () -> onStartTimeout(gen));
  }

  private void onAnnouncement(int gen, Announcement announcement) {
    if (gen != generation || closing) {
      return;
    }
    if (announcement instanceof Announcement.Ready r) {
      if (state() != ReplicaState.STARTING || client != null) {
        return;
      }
      if (r.pid() > 0) {
        pid = r.pid();
      }
      device = r.device();
      if (!r.cpus().isEmpty()) {
        cpus = r.cpus();
      }
      if (r.fellBack()) {
        log.warn("pool {}: replica {} asked for {} but runs on {} (fallback to the CPU)",
            spec.name(), id, r.requestedDevice(), r.device());
      }
      // The socket the worker says it bound: a worker that did not (an older one) is dialed over TCP.
      connect("127.0.0.1:" + r.port(), r.socket());
      probe(client);
    } else if (announcement instanceof Announcement.Failed f) {
      // Whether a restart can help is the exit status's to say (78: no).
      announcedFailure = f.reason();
      lastError = f.reason();
    } else if (announcement instanceof Announcement.Malformed m) {
      // The worker and the orchestrator disagree on the launch contract: no restart helps.
      permanentFailure = "unreadable worker announcement (" + m.problem() + "): " + m.line();
      lastError = permanentFailure;
      killProcess();
    }
  }

  @Override
  protected void onStartingProbe(boolean ready, String error) {
    if (ready) {
      // A fresh process does not serve out the ejection its predecessor earned (calls failing as
      // it died): it goes back on probation at once, where a failure ejects it again, for longer.
      if (outliers.isEjected() && outliers.readmit(scheduler.nanoTime())) {
        log.info("pool {}: replica {} is a fresh worker: back in routing on probation, its predecessor's ejection"
            + " lifted", spec.name(), id);
      }
      if (lifecycle.transition(ReplicaState.STARTING, ReplicaState.READY)) {
        startTimer.cancel();
        long now = scheduler.nanoTime();
        backoff.onReady(now);
        everReady = true;
        failedProbes = 0;
        lastError = "";
        log.info("pool {}: replica {} READY in {} (pid {}, {})", spec.name(), id, seconds(now - launchedAt), pid, device);
        settled.complete(null);
        startHealthChecks();
      }
      return;
    }
    // Announced but not ready yet (models still loading, say): ask again shortly; the start
    // timer bounds how long.
    int gen = generation;
    WorkerClient c = client;
    scheduler.schedule(STARTING_PROBE_INTERVAL, () -> {
      if (gen == generation && c == client && state() == ReplicaState.STARTING && !closing) {
        probe(c);
      }
    });
  }

  /** Killed only when truly stuck: its probes have failed for the pool's kill_after_ms without a break. */
  @Override
  protected void onStillUnhealthy(long failingSince) {
    long failing = scheduler.nanoTime() - failingSince;
    if (failing >= spec.health().killAfter().toNanos()) {
      log.warn("pool {}: replica {} failed every health check for {} ({} in a row); killing pid {} so that it restarts",
          spec.name(), id, seconds(failing), failedProbes, pid);
      lastError = lastError + " (failing for " + seconds(failing) + "; killed)";
      killProcess();
    }
  }

  private void onStartTimeout(int gen) {
    if (gen != generation || closing || state() != ReplicaState.STARTING) {
      return;
    }
    String reason = "not READY within " + spec.startTimeout().toMillis() / 1000.0 + " s";
    lastError = reason;
    if (!everReady) {
      permanentFailure = reason;
    }
    log.warn("pool {}: replica {} {}; killing pid {}", spec.name(), id, reason, pid);
    killProcess();
  }

  private void onExit(int gen, int status) {
    if (gen != generation || closing) {
      return;
    }
    startTimer.cancel();
    disconnect();
    if (state() == ReplicaState.DRAINING && retiring) {
      retired();
      return;
    }
    if (state() == ReplicaState.DRAINING) {
      // drained by DrainReplica (or died while draining): a fresh worker takes its place
      if (lifecycle.transition(ReplicaState.DRAINING, ReplicaState.STARTING)) {
        log.info("pool {}: replica {} (pid {}) left after its drain; starting a fresh worker", spec.name(), id, pid);
        launch();
      }
      return;
    }
    String reason;
    if (permanentFailure != null) {
      reason = permanentFailure;
    } else if (status == Announcement.CONFIG_ERROR_EXIT) {
      reason = announcedFailure != null ? announcedFailure
          : "worker exited with status 78 (its configuration is wrong)";
    } else if (!everReady) {
      reason = announcedFailure != null ? announcedFailure + " (exit status " + status + ")"
          : "worker exited with status " + status + " before it was ready";
    } else {
      reason = null;
    }
    if (reason != null) {
      fail(reason);
      return;
    }
    String error = announcedFailure != null ? announcedFailure + " (exit status " + status + ")"
        : "worker exited with status " + status;
    ReplicaState left = lifecycle.moveTo(ReplicaState.RESTARTING);
    if (left == null) {
      return;
    }
    lastError = error;
    Duration delay = backoff.nextDelay(scheduler.nanoTime());
    log.warn("pool {}: replica {} (pid {}) {}; restarting in {}", spec.name(), id, pid, error, seconds(delay.toNanos()));
    scheduler.schedule(delay, () -> relaunch(gen));
  }

  private void relaunch(int gen) {
    if (gen != generation || closing) {
      return;
    }
    if (lifecycle.transition(ReplicaState.RESTARTING, ReplicaState.STARTING)) {
      restarts++;
      launch();
    }
  }

  /**
   * Drained: the worker is stopped, and {@link #onExit} starts a fresh one in its place (or, when
   * it is {@link #retire retiring}, leaves it STOPPED).
   */
  @Override
  protected void drained() {
    Launcher.WorkerProcess p = process;
    if (p != null && p.isAlive()) {
      p.terminate();
      scheduler.schedule(DRAINED_STOP_TIMEOUT, () -> {
        if (process == p && p.isAlive()) {
          log.warn("pool {}: replica {} (pid {}) did not stop after its drain; killing it", spec.name(), id, p.pid());
          p.kill();
        }
      });
    } else if (retiring) {
      disconnect();
      retired();
    } else if (lifecycle.transition(ReplicaState.DRAINING, ReplicaState.STARTING)) {
      launch();
    }
  }

  private void fail(String reason) {
    startTimer.cancel();
    lastError = reason;
    if (lifecycle.moveTo(ReplicaState.FAILED) != null) {
      List<String> tail = lastLines();
      log.error("pool {}: replica {} FAILED (device {}): {}{}", spec.name(), id, spec.device(), reason,
          tail.isEmpty() ? "" : "; its last output:\n  " + String.join("\n  ", tail));
    }
    killProcess();
    settled.complete(null);
  }

  private void killProcess() {
    Launcher.WorkerProcess p = process;
    if (p != null && p.isAlive()) {
      p.kill();
    }
  }

  @Override
  void beginClose() {
    super.beginClose();
    startTimer.cancel();
    Launcher.WorkerProcess p = process;
    if (p != null && p.isAlive()) {
      p.terminate();
    }
  }

  @Override
  void finishClose(long deadlineNanos) {
    Launcher.WorkerProcess p = process;
    if (p != null) {
      try {
        if (!p.awaitExit(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())))) {
          log.warn("pool {}: replica {} (pid {}) did not stop after SIGTERM; killing it", spec.name(), id, p.pid());
          p.kill();
          p.awaitExit(Duration.ofSeconds(5));
        }
      } catch (InterruptedException e) {
        p.kill();
        Thread.currentThread().interrupt();
      }
    }
    super.finishClose(deadlineNanos);
  }
}
