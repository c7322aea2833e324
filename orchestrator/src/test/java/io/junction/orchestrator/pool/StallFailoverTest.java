package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pool of two in-process fake workers, one of which stops (it answers nothing, its connection
 * stays open, as under SIGSTOP) with calls in flight: those calls fail over to the other and
 * succeed within their deadlines, the stopped one leaves routing naming the stall, and it comes
 * back once it answers a probe. The decision's timing is StallWatchTest's, on a fake clock.
 */
class StallFailoverTest {
  private static final Tensor X = Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f);
  private static final HealthPolicy STALL_AFTER_200_MS =
      new HealthPolicy(Duration.ofSeconds(5), 3, Duration.ofSeconds(30), Duration.ofMillis(200));

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private FakeWorker worker(String address, long pid) throws Exception {
    FakeWorker w = new FakeWorker(address, pid, List.of("a"));
    closeables.add(w);
    return w;
  }

  private PoolSet pool(String... endpoints) throws Exception {
    // Probes every hour: only the stall's own probes run during the test.
    PoolSpec spec = new PoolSpec("p", PoolSpec.Kind.STATIC, List.of("a"), endpoints.length, Device.CPU, false,
        List.of(), List.of(endpoints), java.util.Optional.empty(), 8, Duration.ofHours(1), Duration.ofSeconds(10),
        List.of(), true, PoolSpec.Affinity.NONE, PoolSpec.DEFAULT_MAX_QUEUE, OutlierPolicy.DEFAULT, STALL_AFTER_200_MS);
    PoolSet p = new PoolSet(List.of(spec), new ExecutorScheduler(), target -> List.of(FakeWorker.channels(target)),
        new FakeLauncher(), new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), Pool::pickerFor);
    closeables.add(0, p);
    p.start();
    return p;
  }

  private static PoolSnapshot.ReplicaSnapshot replica(PoolSet pools, String id) {
    return pools.snapshot().get(0).replicas().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; i < 1_000 && !condition.getAsBoolean(); i++) {
      Thread.sleep(10);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void theCallsOfAStoppedWorkerFailOverWithinTheirDeadlinesAndItComesBackWhenItAnswers() throws Exception {
    FakeWorker good = worker("good:1", 11);
    FakeWorker stuck = worker("stuck:1", 22);
    PoolSet pools = pool("good:1", "stuck:1");
    // Both hold their calls while they are sent, so that least-outstanding routing spreads them.
    good.mode = FakeWorker.Mode.HOLD;
    stuck.mode = FakeWorker.Mode.HOLD;
    stuck.stopped = true;
    List<CompletableFuture<List<Tensor>>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(pools.infer("a", List.of(X), List.of("y", "n"), Deadline.after(10, TimeUnit.SECONDS)));
    }
    awaitTrue(() -> good.held.size() + stuck.held.size() >= 6, "every call reached a worker");
    assertThat(stuck.held).as("calls on the worker that stopped").isNotEmpty();
    good.mode = FakeWorker.Mode.ECHO;
    // Answer what the good worker holds, also a call that failed over to it just before it stopped holding.
    for (int i = 0; i < 1_000 && !calls.stream().allMatch(CompletableFuture::isDone); i++) {
      for (StreamObserver<ModelInferResponse> out; (out = good.held.poll()) != null; ) {
        out.onNext(good.echo(good.received.get(0)));
        out.onCompleted();
      }
      Thread.sleep(10);
    }

    for (CompletableFuture<List<Tensor>> call : calls) {
      assertThat(call.get(10, TimeUnit.SECONDS).get(1).longs()[0]).as("served by the worker that answers").isEqualTo(11L);
    }
    PoolSnapshot.ReplicaSnapshot stalled = replica(pools, "p-1");
    assertThat(stalled.state()).isEqualTo("UNHEALTHY");
    assertThat(stalled.lastError()).matches("replica p-1 stalled: no answer for \\d+ ms with [1-6] call\\(s\\) in flight");
    assertThat(stalled.ejected()).as("its failed calls do not also eject it").isFalse();
    assertThat(stalled.inFlight()).isZero();

    stuck.mode = FakeWorker.Mode.ECHO;
    stuck.resume(); // SIGCONT: the probe it held is answered
    awaitTrue(() -> replica(pools, "p-1").state().equals("READY"), "back in routing once it answered a probe");
  }
}
