package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Deadline;
import io.grpc.Status;
import io.junction.engine.Retry;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.orchestrator.routing.RetryBudgetPolicy;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Failover and retries in a pool of in-process fake workers: a full worker queue fails over like
 * UNAVAILABLE, a retry never goes back to the replica it failed on while another is routable, and
 * an empty retry budget stops both. Outlier ejection is off, so that the failing replica stays in
 * routing and every call can meet it.
 */
class RetryFailoverTest {
  private static final Tensor X = Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f);
  private static final RetryBudgetPolicy NO_RETRIES = new RetryBudgetPolicy(0, 0);

  private final FakeWorkers workers = new FakeWorkers();

  @AfterEach
  void tearDown() throws Exception {
    workers.close();
  }

  private FakeWorker worker(String address, long pid) throws Exception {
    return workers.worker(address, pid);
  }

  private PoolSet pool(RetryBudgetPolicy budget, String... endpoints) throws Exception {
    PoolSpec spec = new PoolSpec("p", PoolSpec.Kind.STATIC, List.of("a"), endpoints.length, Device.CPU, false,
        List.of(), List.of(endpoints), java.util.Optional.empty(), 8, Duration.ofHours(1), Duration.ofSeconds(10),
        List.of(), true, PoolSpec.Affinity.NONE, PoolSpec.DEFAULT_MAX_QUEUE, OutlierPolicy.DISABLED,
        HealthPolicy.DEFAULT, budget);
    return workers.started(spec);
  }

  private static long call(PoolSet pools, Retry retry) throws Exception {
    return pools.infer("a", List.of(X), List.of("y", "n"), Deadline.after(10, TimeUnit.SECONDS), null, retry)
        .get(10, TimeUnit.SECONDS).get(1).longs()[0];
  }

  private static Retry after(ReplicaCallException failure) {
    return new Retry(2, List.of(failure));
  }

  @Test
  void aWorkerWhoseQueueIsFullIsFailedOverLikeAnUnavailableOne() throws Exception {
    worker("good:1", 11);
    FakeWorker full = worker("full:1", 22);
    full.failWith = Status.RESOURCE_EXHAUSTED.withDescription("queue full: 64 of 64");
    full.mode = FakeWorker.Mode.FAIL;
    PoolSet pools = pool(RetryBudgetPolicy.DEFAULT, "good:1", "full:1");

    for (int i = 0; i < 20; i++) {
      assertThat(call(pools, null)).as("call " + i).isEqualTo(11L);
    }
    assertThat(full.received).as("the full worker was tried, and each of its calls went on").isNotEmpty();
  }

  @Test
  void aRetryNeverGoesBackToTheReplicaItFailedOnWhileAnotherIsRoutable() throws Exception {
    FakeWorker w0 = worker("w0:1", 11);
    FakeWorker w1 = worker("w1:1", 22);
    PoolSet pools = pool(RetryBudgetPolicy.DEFAULT, "w0:1", "w1:1");
    Retry afterP0 = after(new ReplicaCallException("p-0", Status.UNAVAILABLE));

    for (int i = 0; i < 8; i++) { // within the full bucket's 10 + 0.2 × 16 tokens
      assertThat(call(pools, afterP0)).as("retry " + i).isEqualTo(22L);
    }
    assertThat(w0.received).isEmpty();
    assertThat(w1.received).hasSize(8);
  }

  @Test
  void aRetryAvoidsEveryReplicaTheCallFailedOverFrom() throws Exception {
    worker("w0:1", 11);
    worker("w1:1", 22);
    FakeWorker w2 = worker("w2:1", 33);
    PoolSet pools = pool(RetryBudgetPolicy.DEFAULT, "w0:1", "w1:1", "w2:1");
    Retry afterBoth = after(new ReplicaCallException("p-1", Status.UNAVAILABLE, List.of("p-0")));

    for (int i = 0; i < 6; i++) {
      assertThat(call(pools, afterBoth)).isEqualTo(33L);
    }
    assertThat(w2.received).hasSize(6);
  }

  @Test
  void aRetryGoesBackToAFailedReplicaOnlyWhenNoOtherIsRoutable() throws Exception {
    FakeWorker only = worker("only:1", 11);
    PoolSet pools = pool(RetryBudgetPolicy.DEFAULT, "only:1");

    assertThat(call(pools, after(new ReplicaCallException("p-0", Status.UNAVAILABLE)))).isEqualTo(11L);
    assertThat(only.received).hasSize(1);
  }

  @Test
  void withTheBudgetSpentACallDoesNotFailOverAndARetryFailsWithTheErrorItWouldHaveRetried() throws Exception {
    worker("good:1", 11);
    FakeWorker bad = worker("bad:1", 22);
    bad.failWith = Status.UNAVAILABLE.withDescription("fault injected");
    bad.mode = FakeWorker.Mode.FAIL;
    PoolSet pools = pool(NO_RETRIES, "good:1", "bad:1");

    int failed = 0;
    for (int i = 0; i < 20; i++) {
      try {
        call(pools, null);
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(ReplicaCallException.class).hasMessageContaining("fault injected");
        failed++;
      }
    }
    assertThat(failed).as("calls that met the failing replica and could not fail over").isEqualTo(bad.received.size())
        .isPositive();

    ReplicaCallException original = new ReplicaCallException("p-1", Status.UNAVAILABLE.withDescription("fault injected"));
    int before = bad.received.size();
    assertThatThrownBy(() -> call(pools, after(original))).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RetryBudgetSpentException.class)
        .hasMessage("replica p-1: UNAVAILABLE: fault injected (not retried: retry budget of pool p spent)")
        .hasCause(original);
    assertThat(bad.received).as("a refused retry sends nothing").hasSize(before);
  }
}
