package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.junction.orchestrator.routing.OutlierPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle of a launched replica on a fake clock: processes are fakes the test makes
 * announce and exit; readiness probes go to an in-process fake worker.
 */
class LocalReplicaTest {
  private static final Duration HEALTH = Duration.ofSeconds(5);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** Two failed probes in a row leave routing; 20 s of failures kill. */
  private static final HealthPolicy GENTLE = new HealthPolicy(Duration.ofSeconds(2), 2, Duration.ofSeconds(20));

  private final FakeScheduler scheduler = new FakeScheduler();
  private final FakeLauncher launcher = new FakeLauncher();
  private FakeWorker worker;
  private LocalReplica replica;
  /** Makes the next call on the replica's channel throw when it is made, as a failing interceptor would. */
  private final AtomicBoolean throwOnNextCall = new AtomicBoolean();

  @BeforeEach
  void setUp() throws Exception {
    worker = new FakeWorker("127.0.0.1:40001", 4242, List.of("a"));
    replica = new LocalReplica(spec(), 0, scheduler, target -> List.of(new ThrowingChannel(FakeWorker.channels(target))), launcher,
        new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), RestartBackoff.standard(), SocketDir.inTemp(false));
  }

  private static PoolSpec spec() {
    return new PoolSpec("conv", PoolSpec.Kind.LOCAL, List.of("a"), 1, Device.CPU, false, List.of("0"),
        List.of(), Optional.of(Path.of("/models")), 4, HEALTH, START_TIMEOUT, List.of(), true, PoolSpec.Affinity.NONE,
        PoolSpec.DEFAULT_MAX_QUEUE, OutlierPolicy.DEFAULT, GENTLE);
  }

  @AfterEach
  void tearDown() {
    worker.close();
  }

  private void announceReady() {
    launcher.last().listener().onAnnouncement(
        new Announcement.Ready(40001, launcher.last().process().pid(), "cpu", "cpu", false, "0", List.of("a")));
    scheduler.runDue();
  }

  private void startUntilReady() {
    scheduler.execute(replica::begin);
    scheduler.runDue();
    announceReady();
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
  }

  @Test
  void becomesReadyOnceItAnnouncedItsPortAndAnsweredAProbe() {
    scheduler.execute(replica::begin);
    scheduler.runDue();
    assertThat(launcher.launches).hasSize(1);
    assertThat(launcher.last().command().command()).contains("--id", "conv-0");
    assertThat(replica.state()).isEqualTo(ReplicaState.STARTING);
    assertThat(replica.settled).isNotDone();

    announceReady();

    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(replica.settled).isDone();
    assertThat(replica.snapshot()).isEqualTo(new PoolSnapshot.ReplicaSnapshot(
        "conv-0", 1000, "127.0.0.1:40001", "", "cpu", "READY", 0, 0, "0", ""));
  }

  @Test
  void eachLaunchListensOnItsOwnSocketWhichIsDialedAndRemovedWhenTheProcessExits(@TempDir Path tmp) throws Exception {
    SocketDir sockets = new SocketDir(true, tmp);
    List<String> dialed = new java.util.concurrent.CopyOnWriteArrayList<>();
    // A unix: target reaches the fake worker: what matters is which target the replica dials.
    LocalReplica r = new LocalReplica(spec(), 0, scheduler, target -> {
      dialed.add(target);
      return List.of(FakeWorker.channels(target.startsWith("unix:") ? worker.address : target));
    }, launcher, new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), RestartBackoff.standard(), sockets);
    scheduler.execute(r::begin);
    scheduler.runDue();
    List<String> command = launcher.last().command().command();
    String socket = command.get(command.indexOf("--socket") + 1);
    assertThat(Path.of(socket).getParent().getParent()).isEqualTo(tmp);
    assertThat(Path.of(socket).getFileName().toString()).isEqualTo("conv-0-1.sock");
    Files.createFile(Path.of(socket)); // what the worker's bind would make

    launcher.last().listener().onAnnouncement(new Announcement.Ready(
        40001, launcher.last().process().pid(), "cpu", "cpu", false, "0", List.of("a"), socket));
    scheduler.runDue();

    assertThat(r.state()).isEqualTo(ReplicaState.READY);
    assertThat(dialed).containsExactly("unix:" + socket);
    assertThat(r.snapshot().socket()).isEqualTo(socket);
    assertThat(r.snapshot().endpoint()).isEqualTo("127.0.0.1:40001");

    launcher.last().process().exit(137);
    scheduler.runDue();
    assertThat(Path.of(socket)).as("a killed worker's socket is removed").doesNotExist();
    scheduler.advance(Duration.ofSeconds(30));
    String next = launcher.last().command().command().get(launcher.last().command().command().indexOf("--socket") + 1);
    assertThat(next).as("a relaunch gets a socket of its own").endsWith("conv-0-2.sock");

    sockets.close();
    assertThat(Path.of(socket).getParent()).as("the folder goes with the pools").doesNotExist();
  }

  @Test
  void aWorkerAnnouncedButNotReadyYetIsProbedAgainUntilItIs() {
    worker.ready = false;
    scheduler.execute(replica::begin);
    scheduler.runDue();
    announceReady();
    assertThat(replica.state()).isEqualTo(ReplicaState.STARTING);
    scheduler.advance(LocalReplica.STARTING_PROBE_INTERVAL);
    assertThat(replica.state()).isEqualTo(ReplicaState.STARTING);
    worker.ready = true;
    scheduler.advance(LocalReplica.STARTING_PROBE_INTERVAL);
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
  }

  @Test
  void killedReplicaIsRelaunchedAfterABackoffThatDoubles() {
    startUntilReady();

    launcher.last().process().exit(137);
    scheduler.runDue();
    assertThat(replica.state()).isEqualTo(ReplicaState.RESTARTING);
    assertThat(replica.snapshot().lastError()).isEqualTo("worker exited with status 137");
    assertThat(replica.client()).isNull();

    scheduler.advance(Duration.ofMillis(499));
    assertThat(launcher.launches).hasSize(1);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(launcher.launches).hasSize(2);
    assertThat(replica.state()).isEqualTo(ReplicaState.STARTING);
    assertThat(replica.snapshot().restarts()).isEqualTo(1);

    announceReady();
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(replica.snapshot().pid()).isEqualTo(1001);

    // Dies again soon after: the next wait is twice as long.
    launcher.last().process().exit(1);
    scheduler.runDue();
    scheduler.advance(Duration.ofMillis(999));
    assertThat(launcher.launches).hasSize(2);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(launcher.launches).hasSize(3);
    assertThat(replica.snapshot().restarts()).isEqualTo(2);
  }

  @Test
  void aWorkerThatSaysItsConfigurationIsWrongFailsAndIsNeverRestarted() {
    scheduler.execute(replica::begin);
    scheduler.runDue();
    launcher.last().listener().onAnnouncement(new Announcement.Failed("device: gpu:0 (expected: a GPU; none found)"));
    launcher.last().process().exit(78);
    scheduler.runDue();

    assertThat(replica.state()).isEqualTo(ReplicaState.FAILED);
    assertThat(replica.snapshot().lastError()).isEqualTo("device: gpu:0 (expected: a GPU; none found)");
    assertThat(replica.settled).isDone();
    scheduler.advance(Duration.ofMinutes(10));
    assertThat(launcher.launches).hasSize(1);
  }

  @Test
  void aWorkerThatFailsForAPassingReasonAfterServingIsRestartedWithItsReason() {
    startUntilReady();
    launcher.last().listener().onAnnouncement(new Announcement.Failed("port 40001: address in use"));
    launcher.last().process().exit(1);
    scheduler.runDue();

    assertThat(replica.state()).isEqualTo(ReplicaState.RESTARTING);
    assertThat(replica.snapshot().lastError()).isEqualTo("port 40001: address in use (exit status 1)");
    scheduler.advance(RestartBackoff.INITIAL);
    assertThat(launcher.launches).hasSize(2);
  }

  @Test
  void aWorkerThatDiesBeforeItsFirstReadyFailsWithItsStatus() {
    scheduler.execute(replica::begin);
    scheduler.runDue();
    launcher.last().process().exit(1);
    scheduler.runDue();

    assertThat(replica.state()).isEqualTo(ReplicaState.FAILED);
    assertThat(replica.snapshot().lastError()).isEqualTo("worker exited with status 1 before it was ready");
    assertThat(replica.lastLines()).containsExactly("fake worker 1000 says goodbye");
    scheduler.advance(Duration.ofMinutes(10));
    assertThat(launcher.launches).hasSize(1);
  }

  @Test
  void aWorkerNotReadyWithinTheStartTimeoutIsKilledAndFails() {
    scheduler.execute(replica::begin);
    scheduler.runDue();
    scheduler.advance(START_TIMEOUT.minusMillis(1));
    assertThat(replica.state()).isEqualTo(ReplicaState.STARTING);
    scheduler.advance(Duration.ofMillis(1));

    assertThat(launcher.last().process().killed).isTrue();
    assertThat(replica.state()).isEqualTo(ReplicaState.FAILED);
    assertThat(replica.snapshot().lastError()).isEqualTo("not READY within 60.0 s");
  }

  @Test
  void oneFailedProbeKeepsTheReplicaInRoutingTwoInARowTakeItOutAndAPassingOneBringsItBack() {
    startUntilReady();
    worker.ready = false;
    scheduler.advance(HEALTH);
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(replica.snapshot().lastError()).isEqualTo("health check: ServerReady: not ready");
    scheduler.advance(HEALTH);
    assertThat(replica.state()).isEqualTo(ReplicaState.UNHEALTHY);

    worker.ready = true;
    scheduler.advance(HEALTH);
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(launcher.launches).hasSize(1);
  }

  @Test
  void aPassingProbeBetweenFailuresStartsTheCountAgain() {
    startUntilReady();
    for (int i = 0; i < 3; i++) {
      worker.ready = false;
      scheduler.advance(HEALTH);
      worker.ready = true;
      scheduler.advance(HEALTH);
      assertThat(replica.state()).as("round " + i).isEqualTo(ReplicaState.READY);
    }
  }

  @Test
  void aWorkerThatStopsAnsweringIsKilledOnlyOnceItsProbesFailedForKillAfterAndIsRestarted() {
    startUntilReady();
    worker.close(); // the process is still there but its server is gone: UNAVAILABLE
    scheduler.advance(HEALTH); // the first failure, at 5 s: the run of failures starts
    // Failures at 10, 15 and 20 s: UNHEALTHY, but failing for less than 20 s.
    for (int i = 0; i < 3; i++) {
      scheduler.advance(HEALTH);
      assertThat(launcher.launches.get(0).process().killed).as("after " + (i + 2) + " failed probes").isFalse();
    }
    assertThat(replica.state()).isEqualTo(ReplicaState.UNHEALTHY);
    scheduler.advance(HEALTH); // 25 s: failing for 20 s
    assertThat(launcher.launches.get(0).process().killed).isTrue();
    assertThat(replica.state()).isEqualTo(ReplicaState.RESTARTING);
    scheduler.advance(RestartBackoff.INITIAL);
    assertThat(launcher.launches).hasSize(2);
  }

  @Test
  void aWorkerThatStopsWithCallsOutIsStalledItsCallsFailUnavailableAndItComesBackWhenItAnswers() throws Exception {
    startUntilReady();
    worker.mode = FakeWorker.Mode.HOLD;
    worker.stopped = true; // SIGSTOP: the connection stays open, nothing answers
    java.util.List<java.util.concurrent.CompletableFuture<io.junction.proto.inference.ModelInferResponse>> calls =
        new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      assertThat(replica.tryAcquire(4)).isTrue();
      calls.add(replica.client().infer(inferRequest(), null, false, replica::release));
    }
    WorkerClient before = replica.client();

    scheduler.advance(HealthPolicy.DEFAULT_STALL_AFTER.dividedBy(2));
    assertThat(replica.state()).as("quiet for half of stall_after: a probe goes out, nothing more").isEqualTo(ReplicaState.READY);
    assertThat(calls).noneMatch(java.util.concurrent.CompletableFuture::isDone);
    scheduler.advance(HealthPolicy.DEFAULT_STALL_AFTER);

    assertThat(replica.state()).isEqualTo(ReplicaState.UNHEALTHY);
    assertThat(replica.snapshot().lastError()).matches("replica conv-0 stalled: no answer for \\d+ ms with 2 call\\(s\\) in flight");
    for (var call : calls) {
      assertThat(call).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .satisfies(e -> {
            io.grpc.Status status = io.grpc.Status.fromThrowable(e.getCause());
            assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
            assertThat(status.getDescription()).isEqualTo(replica.snapshot().lastError());
          });
    }
    assertThat(replica.inFlight()).as("their slots are given back").isZero();
    assertThat(replica.client()).as("dialed afresh").isNotSameAs(before).isNotNull();

    // Stopped for a while: not killed for the stall, only by the kill_after_ms rule (20 s here).
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(launcher.last().process().killed).isFalse();
    assertThat(replica.state()).isEqualTo(ReplicaState.UNHEALTHY);

    worker.mode = FakeWorker.Mode.ECHO;
    worker.resume(); // SIGCONT: the probe it held is answered, or the next one is
    scheduler.advance(HEALTH);
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(launcher.launches).hasSize(1);
  }

  @Test
  void theLastReplicaThatCanServeIsKeptInRoutingWhenItStalls() {
    startUntilReady();
    replica.othersRoutable = r -> false; // no other replica of its pool can serve
    worker.mode = FakeWorker.Mode.HOLD;
    worker.stopped = true;
    assertThat(replica.tryAcquire(4)).isTrue();
    var call = replica.client().infer(inferRequest(), null, false, replica::release);
    scheduler.advance(HealthPolicy.DEFAULT_STALL_AFTER.multipliedBy(2));

    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(replica.snapshot().lastError()).startsWith("replica conv-0 stalled: no answer for ");
    assertThat(call).as("its calls wait for it, as they would without the stall rule").isNotDone();
    worker.resume();
  }

  @Test
  void aReplicaThatAnswersProbesWhileItsCallsTakeLongIsNotStalled() {
    startUntilReady();
    worker.mode = FakeWorker.Mode.HOLD; // long model calls; the worker still answers its probes
    assertThat(replica.tryAcquire(4)).isTrue();
    var call = replica.client().infer(inferRequest(), null, false, replica::release);
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(call).isNotDone();
    var held = worker.held.poll();
    held.onNext(worker.echo(inferRequest()));
    held.onCompleted();
    assertThat(call).succeedsWithin(Duration.ofSeconds(5));
    assertThat(replica.inFlight()).isZero();
  }

  private static io.junction.proto.inference.ModelInferRequest inferRequest() {
    return io.junction.tensor.TensorCodec.addRawInputs(io.junction.proto.inference.ModelInferRequest.newBuilder()
        .setModelName("a"), List.of(io.junction.tensor.Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f))).build();
  }

  @Test
  void aFreshWorkerDoesNotServeOutItsPredecessorsEjection() {
    startUntilReady();
    // Its calls failed as it died: ejected for 10 s, then the process exit is seen.
    replica.outliers.eject(scheduler.nanoTime());
    launcher.last().process().exit(137);
    scheduler.runDue();
    scheduler.advance(RestartBackoff.INITIAL);
    announceReady();

    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
    assertThat(replica.outliers.isEjected()).isFalse();
    assertThat(replica.outliers.phase()).isEqualTo(io.junction.orchestrator.routing.OutlierDetector.Phase.PROBATION);
    assertThat(replica.routable()).isTrue();
  }

  @Test
  void aProbeThatThrowsWhenSentCountsAsFailedAndHealthChecksGoOn() {
    startUntilReady();
    throwOnNextCall.set(true);
    scheduler.advance(HEALTH);
    assertThat(replica.snapshot().lastError())
        .isEqualTo("health check: UNAVAILABLE: probe not sent: java.lang.IllegalStateException: interceptor failed");

    // The next tick probes again: a probe that was never sent does not stay "out", and its
    // answer ends the run of failures.
    throwOnNextCall.set(true);
    scheduler.advance(HEALTH);
    assertThat(replica.state()).isEqualTo(ReplicaState.UNHEALTHY);
    scheduler.advance(HEALTH);
    assertThat(replica.state()).isEqualTo(ReplicaState.READY);
  }

  @Test
  void aCallThatFindsTheWorkerGoneTriggersAProbeAtOnce() {
    startUntilReady();
    worker.ready = false;
    replica.probeSoon();
    scheduler.runDue();
    assertThat(replica.snapshot().lastError()).isEqualTo("health check: ServerReady: not ready");
    replica.probeSoon();
    scheduler.runDue();
    assertThat(replica.state()).isEqualTo(ReplicaState.UNHEALTHY);
  }

  @Test
  void closingTerminatesTheWorkerAndNeverRestartsIt() {
    startUntilReady();
    scheduler.execute(replica::beginClose);
    scheduler.runDue();
    assertThat(launcher.last().process().terminated).isTrue();
    assertThat(replica.state()).isEqualTo(ReplicaState.DRAINING);

    replica.finishClose(System.nanoTime());
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(replica.state()).isEqualTo(ReplicaState.STOPPED);
    assertThat(launcher.launches).hasSize(1);
  }

  @Test
  void callSlotsAreBoundedAndReleased() {
    assertThat(replica.tryAcquire(2)).isTrue();
    assertThat(replica.tryAcquire(2)).isTrue();
    assertThat(replica.tryAcquire(2)).isFalse();
    assertThat(replica.inFlight()).isEqualTo(2);
    replica.release();
    assertThat(replica.tryAcquire(2)).isTrue();
  }

  private final class ThrowingChannel extends ManagedChannel {
    private final ManagedChannel delegate;

    ThrowingChannel(ManagedChannel delegate) {
      this.delegate = delegate;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      if (throwOnNextCall.getAndSet(false)) {
        throw new IllegalStateException("interceptor failed");
      }
      return delegate.newCall(method, options);
    }

    @Override
    public String authority() {
      return delegate.authority();
    }

    @Override
    public ManagedChannel shutdown() {
      return delegate.shutdown();
    }

    @Override
    public boolean isShutdown() {
      return delegate.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return delegate.isTerminated();
    }

    @Override
    public ManagedChannel shutdownNow() {
      return delegate.shutdownNow();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return delegate.awaitTermination(timeout, unit);
    }
  }
}
