package io.junction.orchestrator.pool;

import java.util.ArrayList;
import java.util.List;

/**
 * In-process fake workers serving model "a" and the pool sets over them, for pool tests: what
 * it made is closed by {@link #close()}, pools before workers.
 */
final class FakeWorkers implements AutoCloseable {
  private final List<AutoCloseable> closeables = new ArrayList<>();

  FakeWorker worker(String address, long pid) throws Exception {
    FakeWorker w = new FakeWorker(address, pid, List.of("a"));
    closeables.add(w);
    return w;
  }

  /** A started pool set of one static pool, {@code spec}, over fake workers. */
  PoolSet started(PoolSpec spec) throws Exception {
    PoolSet p = new PoolSet(List.of(spec), new ExecutorScheduler(), target -> List.of(FakeWorker.channels(target)),
        new FakeLauncher(), new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), Pool::pickerFor);
    closeables.add(0, p);
    p.start();
    return p;
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }
}
