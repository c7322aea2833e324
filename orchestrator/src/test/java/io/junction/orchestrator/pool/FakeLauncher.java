package io.junction.orchestrator.pool;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records launches; the test plays each worker's announcements and exit through its listener. */
final class FakeLauncher implements Launcher {
  final List<Launch> launches = new CopyOnWriteArrayList<>();

  record Launch(String replicaId, WorkerCommand command, Listener listener, FakeProcess process) {}

  @Override
  public WorkerProcess launch(String replicaId, WorkerCommand command, Listener listener) {
    FakeProcess p = new FakeProcess(1000 + launches.size(), listener);
    launches.add(new Launch(replicaId, command, listener, p));
    return p;
  }

  Launch last() {
    return launches.get(launches.size() - 1);
  }

  /** Exits as a real worker would when signalled: the listener hears it as the reader thread would tell it. */
  static final class FakeProcess implements WorkerProcess {
    private final long pid;
    private final Listener listener;
    volatile boolean alive = true;
    volatile boolean terminated;
    volatile boolean killed;

    FakeProcess(long pid, Listener listener) {
      this.pid = pid;
      this.listener = listener;
    }

    void exit(int status) {
      if (alive) {
        alive = false;
        listener.onExit(status);
      }
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public boolean isAlive() {
      return alive;
    }

    @Override
    public void terminate() {
      terminated = true;
      exit(143);
    }

    @Override
    public void kill() {
      killed = true;
      exit(137);
    }

    @Override
    public boolean awaitExit(Duration timeout) {
      return !alive;
    }

    @Override
    public List<String> lastLines() {
      return List.of("fake worker " + pid + " says goodbye");
    }
  }
}
