package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Deadline;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.orchestrator.routing.RetryBudgetPolicy;
import io.junction.tensor.Tensor;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A {@link PoolSet} with a dns pool, on its real scheduler and lookup thread, over in-process
 * fake workers and a fake resolver: how it starts, what status shows, how a start without a
 * member fails.
 */
class DnsPoolSetTest {
  private static final Tensor X = Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f);
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private static PoolSpec spec(Duration startTimeout) {
    return new PoolSpec("w", PoolSpec.Kind.DNS, List.of("a"), 1, Device.CPU, false, List.of(), List.of(),
        Optional.empty(), 4, Duration.ofMillis(100), startTimeout, List.of(), true, PoolSpec.Affinity.NONE,
        PoolSpec.DEFAULT_MAX_QUEUE, OutlierPolicy.DEFAULT, HealthPolicy.DEFAULT, Optional.empty(),
        RetryBudgetPolicy.DEFAULT, 4, Optional.of(new DnsService("workers.test", 50051, Duration.ofMillis(100))));
  }

  private PoolSet pools(PoolSpec spec, DnsResolver resolver) {
    PoolSet p = new PoolSet(List.of(spec), new ExecutorScheduler(), target -> List.of(FakeWorker.channels(target)),
        new FakeLauncher(), new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), Pool::pickerFor, resolver);
    closeables.add(0, p);
    return p;
  }

  @Test
  void startWaitsForAMemberOfTheAnswerAndStatusShowsTheServiceAndItsMembers() throws Exception {
    closeables.add(new FakeWorker("10.0.0.1:50051", 11, List.of("a")));
    AtomicInteger lookups = new AtomicInteger();
    // Nothing at first (the pods are not scheduled yet), then one address.
    PoolSet pools = pools(spec(Duration.ofSeconds(30)), host -> lookups.incrementAndGet() < 3 ? List.of()
        : List.of("10.0.0.1"));
    pools.start();

    PoolSnapshot s = pools.snapshot().get(0);
    assertThat(s.kind()).isEqualTo(PoolSpec.Kind.DNS);
    assertThat(s.replicas()).extracting(PoolSnapshot.ReplicaSnapshot::id, PoolSnapshot.ReplicaSnapshot::endpoint,
        PoolSnapshot.ReplicaSnapshot::state).containsExactly(org.assertj.core.groups.Tuple.tuple("w-0",
            "10.0.0.1:50051", "READY"));
    PoolSnapshot.Discovery d = s.discovery().orElseThrow();
    assertThat(d.service()).isEqualTo("workers.test:50051");
    assertThat(d.addresses()).containsExactly("10.0.0.1");
    assertThat(d.emptyLookups()).isEqualTo(2);
    assertThat(d.okLookups()).isPositive();
    assertThat(pools.models()).containsOnlyKeys("a");

    List<Tensor> out = pools.infer("a", List.of(X), List.of("y"), Deadline.after(10, TimeUnit.SECONDS))
        .get(10, TimeUnit.SECONDS);
    assertThat(out.get(0)).isEqualTo(X.withName("y"));
  }

  @Test
  void aDnsPoolWhoseNameNeverResolvesFailsStartAndSaysWhy() {
    PoolSet pools = pools(spec(Duration.ofSeconds(1)), host -> {
      throw new UnknownHostException("workers.test: Name or service not known");
    });

    assertThatThrownBy(pools::start)
        .isInstanceOf(PoolStartException.class)
        .hasMessage("pool w: no member READY within 1 s (expected: at least one); service workers.test:50051: last"
            + " lookup failed (java.net.UnknownHostException: workers.test: Name or service not known), addresses []");
  }

  @Test
  void aMemberThatJoinsWithOtherMetadataStaysOutOfRoutingAndSaysWhy() throws Exception {
    closeables.add(new FakeWorker("10.0.0.1:50051", 11, List.of("a")));
    FakeWorker other = new FakeWorker("10.0.0.2:50051", 12, List.of("a"));
    other.inputType = "FP64"; // a pod of another release, its model's input of another type
    closeables.add(other);
    AtomicInteger lookups = new AtomicInteger();
    PoolSet pools = pools(spec(Duration.ofSeconds(30)), host -> lookups.incrementAndGet() < 3 ? List.of("10.0.0.1")
        : List.of("10.0.0.1", "10.0.0.2"));
    pools.start();

    PoolSnapshot.ReplicaSnapshot joined = null;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < end) {
      joined = pools.snapshot().get(0).replicas().stream().filter(r -> r.id().equals("w-1")).findFirst().orElse(null);
      if (joined != null && !joined.lastError().isEmpty()) {
        break;
      }
      Thread.sleep(20);
    }
    assertThat(joined).as("w-1 joined").isNotNull();
    assertThat(joined.state()).isEqualTo("READY");
    assertThat(joined.lastError()).startsWith("metadata: model a: inputs.x: x FP64")
        .contains("expected: x FP32").contains("10.0.0.1:50051");
    for (int i = 0; i < 6; i++) {
      pools.infer("a", List.of(X), List.of("y"), Deadline.after(10, TimeUnit.SECONDS)).get(10, TimeUnit.SECONDS);
    }
    assertThat(other.received).as("calls to the member kept out").isEmpty();
  }
}
