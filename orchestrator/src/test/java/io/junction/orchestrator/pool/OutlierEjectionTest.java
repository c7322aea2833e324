package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Outlier ejection and failover in a pool of in-process fake workers: which failures count,
 * that calls fail over while a failing replica is still in routing, that the last replica
 * that can serve is never ejected, and that the calls of a worker that stops answering (its
 * connection open, as under SIGSTOP) fail over once it is stalled (the stall decision's timing
 * is StallWatchTest's). (The timing decisions are OutlierDetectorTest's, on a fake
 * clock; ejections here last an hour, so no timer fires during a test.)
 */
class OutlierEjectionTest {
  private static final Tensor X = Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f);
  private static final OutlierPolicy THREE_IN_A_ROW =
      new OutlierPolicy(true, 3, 50, 1000, Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofHours(2), 2);

  private static final HealthPolicy STALL_AFTER_200_MS =
      new HealthPolicy(Duration.ofSeconds(5), 3, Duration.ofSeconds(30), Duration.ofMillis(200));

  private final FakeWorkers workers = new FakeWorkers();

  @AfterEach
  void tearDown() throws Exception {
    workers.close();
  }

  private FakeWorker worker(String address, long pid) throws Exception {
    return workers.worker(address, pid);
  }

  private PoolSet pool(String... endpoints) throws Exception {
    return pool(HealthPolicy.DEFAULT, endpoints);
  }

  /** Probes every hour: only a stall's own probes run during a test. */
  private PoolSet pool(HealthPolicy health, String... endpoints) throws Exception {
    PoolSpec spec = new PoolSpec("p", PoolSpec.Kind.STATIC, List.of("a"), endpoints.length, Device.CPU, false,
        List.of(), List.of(endpoints), java.util.Optional.empty(), 8, Duration.ofHours(1), Duration.ofSeconds(10),
        List.of(), true, PoolSpec.Affinity.NONE, PoolSpec.DEFAULT_MAX_QUEUE, THREE_IN_A_ROW, health);
    return workers.started(spec);
  }

  private static long call(PoolSet pools) throws Exception {
    return pools.infer("a", List.of(X), List.of("y", "n"), Deadline.after(10, TimeUnit.SECONDS))
        .get(10, TimeUnit.SECONDS).get(1).longs()[0];
  }

  private static PoolSnapshot.ReplicaSnapshot replica(PoolSet pools, String id) {
    return pools.snapshot().get(0).replicas().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
  }

  /** A pool of a worker that answers (pid 11, p-0) and {@code bad} (p-1), which fails every call with {@code code}. */
  private PoolSet goodAndFailing(FakeWorker bad, Status code) throws Exception {
    worker("good:1", 11);
    PoolSet pools = pool("good:1", bad.address);
    bad.failWith = code.withDescription("fault injected");
    bad.mode = FakeWorker.Mode.FAIL;
    return pools;
  }

  @Test
  void aReplicaFailingUnavailableIsEjectedAfterThreeFailuresWhileEveryCallFailsOverAndSucceeds() throws Exception {
    FakeWorker bad = worker("bad:1", 22);
    PoolSet pools = goodAndFailing(bad, Status.UNAVAILABLE);

    for (int i = 0; i < 40; i++) {
      assertThat(call(pools)).as("call " + i).isEqualTo(11L);
    }
    assertThat(bad.received).as("calls the failing replica got before it left routing").hasSize(3);
    PoolSnapshot.ReplicaSnapshot ejected = replica(pools, "p-1");
    assertThat(ejected.ejected()).isTrue();
    assertThat(ejected.state()).isEqualTo("READY"); // alive and answering probes: only its calls fail
    assertThat(ejected.ejection()).startsWith("3 failures in a row, last: UNAVAILABLE: fault injected")
        .contains("back on probation in");
    assertThat(replica(pools, "p-0").ejected()).isFalse();
  }

  @Test
  void theLastReplicaThatCanServeIsNeverEjected() throws Exception {
    FakeWorker only = worker("only:1", 11);
    PoolSet pools = pool("only:1");
    only.failWith = Status.UNAVAILABLE.withDescription("fault injected");
    only.mode = FakeWorker.Mode.FAIL;

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> call(pools)).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(ReplicaCallException.class);
    }
    assertThat(replica(pools, "p-0").ejected()).isFalse();
    assertThat(only.received).hasSize(10);

    only.mode = FakeWorker.Mode.ECHO;
    assertThat(call(pools)).isEqualTo(11L);
  }

  @Test
  void theUsersMistakesNeitherEjectNorFailOver() throws Exception {
    FakeWorker w1 = worker("w1:1", 11);
    FakeWorker w2 = worker("w2:1", 22);
    PoolSet pools = pool("w1:1", "w2:1");
    for (FakeWorker w : List.of(w1, w2)) {
      w.mode = FakeWorker.Mode.FAIL; // failWith: INVALID_ARGUMENT, the fake's default
    }

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> call(pools)).isInstanceOf(ExecutionException.class)
          .hasMessageContaining("INVALID_ARGUMENT");
    }
    assertThat(w1.received.size() + w2.received.size()).as("one call each, none sent twice").isEqualTo(10);
    assertThat(pools.snapshot().get(0).replicas()).noneMatch(PoolSnapshot.ReplicaSnapshot::ejected);
  }

  @Test
  void internalErrorsCountTowardEjectionButAreNotSentElsewhere() throws Exception {
    FakeWorker bad = worker("bad:1", 22);
    PoolSet pools = goodAndFailing(bad, Status.INTERNAL);

    int failed = 0;
    for (int i = 0; i < 40; i++) {
      try {
        assertThat(call(pools)).isEqualTo(11L);
      } catch (ExecutionException e) {
        assertThat(e).hasMessageContaining("INTERNAL");
        failed++;
      }
    }
    // INTERNAL may be the model's answer to this very request: retried elsewhere it could fail again.
    assertThat(failed).isEqualTo(3);
    assertThat(replica(pools, "p-1").ejected()).isTrue();
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
    PoolSet pools = pool(STALL_AFTER_200_MS, "good:1", "stuck:1");
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
    assertThat(stalled.ejected()).as("its failed calls (UNAVAILABLE, three would do) do not also eject it").isFalse();
    assertThat(stalled.inFlight()).isZero();

    stuck.mode = FakeWorker.Mode.ECHO;
    stuck.resume(); // SIGCONT: the probe it held is answered
    awaitTrue(() -> replica(pools, "p-1").state().equals("READY"), "back in routing once it answered a probe");
  }
}
