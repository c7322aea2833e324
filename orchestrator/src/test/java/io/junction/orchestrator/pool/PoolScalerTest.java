package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.orchestrator.routing.OutlierPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the autoscaler of a local pool does to it, on a fake clock: fake processes the test makes
 * announce, and an in-process fake worker that answers their probes.
 */
class PoolScalerTest {
  private static final Autoscaling POLICY = new Autoscaling(1, 2, 0, Duration.ofSeconds(3), Duration.ofSeconds(10),
      Duration.ofSeconds(1));
  private static final int MAX_IN_FLIGHT = 2;

  private final FakeScheduler scheduler = new FakeScheduler();
  private final FakeLauncher launcher = new FakeLauncher();
  private final PoolSpec spec = new PoolSpec("conv", PoolSpec.Kind.LOCAL, List.of("a"), 1, Device.CPU, false,
      List.of("0", "1"), List.of(), Optional.of(Path.of("/models")), MAX_IN_FLIGHT, Duration.ofHours(1),
      Duration.ofSeconds(60), List.of(), true, PoolSpec.Affinity.NONE, PoolSpec.DEFAULT_MAX_QUEUE,
      OutlierPolicy.DEFAULT, HealthPolicy.DEFAULT, Optional.of(POLICY));
  private FakeWorker worker;
  private Pool pool;
  private PoolScaler scaler;

  @BeforeEach
  void setUp() throws Exception {
    worker = new FakeWorker("127.0.0.1:40001", 4242, List.of("a"));
    LocalReplica first = replica(0);
    first.admit();
    pool = new Pool(spec, List.of(first), Pool.pickerFor(spec));
    first.lifecycle.onMove(pool::replicasMoved);
    scaler = new PoolScaler(pool, POLICY, scheduler, () -> 1_700_000_000_000L, index -> {
      LocalReplica r = replica(index);
      r.lifecycle.onReady(r::admit); // no segment plans in this pool: admitted once READY
      r.lifecycle.onMove(pool::replicasMoved);
      return r;
    });
    scheduler.execute(first::begin);
    scheduler.runDue();
    announceReady();
    assertThat(first.routable()).isTrue();
  }

  @AfterEach
  void tearDown() {
    worker.close();
  }

  private LocalReplica replica(int index) {
    LocalReplica r = new LocalReplica(spec, index, scheduler, target -> List.of(FakeWorker.channels(target)), launcher,
        new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), RestartBackoff.standard(), SocketDir.inTemp(false));
    r.holdUntilAdmitted();
    return r;
  }

  private void announceReady() {
    launcher.last().listener().onAnnouncement(
        new Announcement.Ready(40001, launcher.last().process().pid(), "cpu", "cpu", false, "0", List.of("a")));
    scheduler.runDue();
  }

  /** Runs the scheduler's due tasks until {@code done}, for answers that come back on gRPC's threads. Bounded. */
  private void settle(BooleanSupplier done) throws InterruptedException {
    for (int i = 0; i < 500 && !done.getAsBoolean(); i++) {
      Thread.sleep(10);
      scheduler.runDue();
    }
    assertThat(done.getAsBoolean()).isTrue();
  }

  private List<String> ids() {
    return pool.replicas().stream().map(Replica::id).toList();
  }

  /** Fills the first replica and queues one call more: the last future waits for a slot. */
  private List<CompletableFuture<Replica>> fillAndQueueOne() {
    List<CompletableFuture<Replica>> calls = new ArrayList<>();
    for (int i = 0; i < MAX_IN_FLIGHT + 1; i++) {
      calls.add(pool.claim(null, null));
    }
    assertThat(pool.queued()).isEqualTo(1);
    return calls;
  }

  @Test
  void sustainedQueueingStartsAReplicaThatTakesCallsOnceReadyAndRoomToSpareRetiresOne() throws Exception {
    scaler.start();
    List<CompletableFuture<Replica>> calls = fillAndQueueOne();

    scheduler.advance(Duration.ofSeconds(3)); // queueing for 2 s at the third check: not yet
    assertThat(launcher.launches).hasSize(1);
    scheduler.advance(Duration.ofSeconds(1));

    assertThat(launcher.launches).hasSize(2);
    assertThat(launcher.last().replicaId()).isEqualTo("conv-1");
    assertThat(launcher.last().command().command()).contains("--id", "conv-1");
    assertThat(ids()).containsExactly("conv-0", "conv-1");
    assertThat(scaler.status().lastDecision()).isEqualTo("up");
    assertThat(scaler.status().lastReason()).startsWith("queue above 0 at every check for 3.0 s (1 calls waiting)");
    assertThat(scaler.status().lastAtMillis()).isEqualTo(1_700_000_000_000L);
    Replica added = pool.replicas().get(1);
    assertThat(added.routable()).isFalse();

    // While it starts, no second change (max is 2 anyway) and the waiting call stays queued.
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(launcher.launches).hasSize(2);
    assertThat(pool.queued()).isEqualTo(1);

    announceReady();
    settle(added::routable);
    settle(() -> calls.get(MAX_IN_FLIGHT).isDone());
    assertThat(calls.get(MAX_IN_FLIGHT).join()).isSameAs(added);
    assertThat(pool.queued()).isZero();

    // The load ends; after the cool-down the idle replica is drained, stopped, and leaves.
    calls.forEach(c -> pool.release(c.join()));
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(ids()).containsExactly("conv-0", "conv-1");
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(scaler.status().lastDecision()).isEqualTo("down");
    assertThat(added.state()).isIn(ReplicaState.DRAINING, ReplicaState.STOPPED);
    assertThat(added.routable()).isFalse();
    settle(() -> pool.replicas().size() == 1);

    assertThat(ids()).containsExactly("conv-0");
    assertThat(added.state()).isEqualTo(ReplicaState.STOPPED);
    assertThat(launcher.launches.get(1).process().terminated).isTrue();
    assertThat(launcher.launches).as("a retired replica is not replaced").hasSize(2);
    scheduler.advance(Duration.ofSeconds(60));
    assertThat(ids()).as("never below min_replicas").containsExactly("conv-0");
    assertThat(pool.replicas().get(0).routable()).isTrue();
  }

  @Test
  void aReplicaRetiringWaitsForItsCallsBeforeItsWorkerStops() throws Exception {
    scaler.start();
    List<CompletableFuture<Replica>> calls = fillAndQueueOne();
    scheduler.advance(Duration.ofSeconds(4));
    announceReady();
    Replica added = pool.replicas().get(1);
    settle(() -> calls.get(MAX_IN_FLIGHT).isDone());

    // The first replica's calls end; the new one keeps its call. Both fit in one replica.
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
      pool.release(calls.get(i).join());
    }
    scheduler.advance(Duration.ofSeconds(11));
    // The idlest replica leaves: conv-0, with nothing in flight; conv-1 keeps its call.
    assertThat(scaler.status().lastDecision()).isEqualTo("down");
    settle(() -> pool.replicas().size() == 1);
    assertThat(ids()).containsExactly("conv-1");
    assertThat(added.inFlight()).isEqualTo(1);
    assertThat(added.routable()).isTrue();
    pool.release(added);
  }
}
