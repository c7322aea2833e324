package io.junction.orchestrator.pool;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Starts worker processes. The real one forks JVMs; tests of the replica lifecycle give a
 * fake that records launches and plays announcements and exits.
 */
interface Launcher {

  /**
   * Starts the worker described by {@code command}. The listener hears its announcements and,
   * once, its exit; it is called from a thread of the launcher's and must not block.
   */
  WorkerProcess launch(String replicaId, WorkerCommand command, Listener listener) throws IOException;

  /** Stops what the launcher runs for itself, once its workers are gone; launches nothing after. */
  default void close() {}

  interface Listener {
    void onAnnouncement(Announcement announcement);

    /** The process has exited with {@code status}; every line it printed has been seen. */
    void onExit(int status);
  }

  /** A running (or finished) worker process. */
  interface WorkerProcess {
    long pid();

    boolean isAlive();

    /** Asks it to stop (SIGTERM): the worker finishes what it is doing and exits. */
    void terminate();

    /** Kills it (SIGKILL). */
    void kill();

    /** Waits until it has exited, at most {@code timeout}; true when it has. */
    boolean awaitExit(Duration timeout) throws InterruptedException;

    /** Its last lines of output, oldest first, for error messages. */
    List<String> lastLines();
  }
}
