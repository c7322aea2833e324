package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.junction.orchestrator.admission.Priority;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PoolSet} over static pools whose members are in-process fake workers: routing,
 * call accounting, error mapping, metadata and start failures, with the real scheduler.
 */
class PoolSetTest {
  private static final Tensor X = Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f);

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private FakeWorker worker(String address, long pid, String... models) throws Exception {
    FakeWorker w = new FakeWorker(address, pid, List.of(models));
    closeables.add(w);
    return w;
  }

  private PoolSet pools(PoolSpec... specs) {
    PoolSet p = new PoolSet(List.of(specs), new ExecutorScheduler(), target -> List.of(FakeWorker.channels(target)), new FakeLauncher(),
        new WorkerCommand.Host("/jdk/bin/java", "/cp", 1), Pool::pickerFor);
    closeables.add(0, p);
    return p;
  }

  static PoolSpec staticPool(String name, int maxInFlight, List<String> models, String... endpoints) {
    return new PoolSpec(name, PoolSpec.Kind.STATIC, models, endpoints.length, Device.CPU, false, List.of(),
        List.of(endpoints), Optional.empty(), maxInFlight, Duration.ofHours(1), Duration.ofSeconds(10), List.of());
  }

  static PoolSpec queuedPool(String name, int maxInFlight, int maxQueue, List<String> models, String... endpoints) {
    PoolSpec p = staticPool(name, maxInFlight, models, endpoints);
    return new PoolSpec(p.name(), p.kind(), p.models(), p.replicas(), p.device(), p.fallbackCpu(), p.cpus(),
        p.endpoints(), p.repository(), p.maxInFlight(), p.healthInterval(), p.startTimeout(), p.jvmOptions(),
        p.batching(), PoolSpec.Affinity.NONE, maxQueue);
  }

  private static Tensor x(float v) {
    return Tensor.ofFloats("x", new long[] {1, 2}, v, v);
  }

  /** The first value of each request the worker received, in arrival order. */
  private static List<Float> arrived(FakeWorker w) {
    return w.received.stream().map(r -> r.getRawInputContents(0).asReadOnlyByteBuffer()
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(0)).toList();
  }

  /** Answers the call each worker holds (waiting for it), with its first request echoed. */
  private static void answerHeld(FakeWorker... workers) throws InterruptedException {
    for (FakeWorker w : workers) {
      StreamObserver<ModelInferResponse> out = w.held.take();
      out.onNext(w.echo(w.received.get(0)));
      out.onCompleted();
    }
  }

  /** The pid of the worker that answered {@code call}. */
  private static long pid(CompletableFuture<List<Tensor>> call) throws Exception {
    return call.get(10, TimeUnit.SECONDS).get(1).longs()[0];
  }

  private static Throwable failure(CompletableFuture<?> f) {
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    return f.handle((v, t) -> t).join();
  }

  @Test
  void startLearnsEachModelsSignatureFromAReadyMember() throws Exception {
    worker("w1:1", 11, "a", "b");
    PoolSet pools = pools(staticPool("p", 4, List.of("a", "b"), "w1:1"));
    pools.start();

    assertThat(pools.models()).containsOnlyKeys("a", "b");
    assertThat(pools.models().get("a").inputs())
        .containsExactly(new TensorSpec("x", DataType.FP32, List.of(-1L, 2L)));
    assertThat(pools.models().get("a").outputs()).extracting(TensorSpec::name).containsExactly("y", "n");
    assertThat(pools.poolOf("b")).hasValue("p");
    assertThat(pools.poolOf("c")).isEmpty();
  }

  @Test
  void workerStatsAskEveryReadyReplicaAndLeaveOutThoseThatDoNotAnswer() throws Exception {
    worker("w1:1", 11, "a");
    FakeWorker silent = worker("w2:1", 22, "a");
    worker("w3:1", 33, "b");
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1", "w2:1"), staticPool("q", 4, List.of("b"), "w3:1"));
    pools.start();
    silent.silentStats = true;

    List<ReplicaStats> stats = pools.workerStats(Duration.ofMillis(300));
    assertThat(stats).extracting(ReplicaStats::pool, ReplicaStats::replica, s -> s.stats().getPid())
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("p", "p-0", 11L),
            org.assertj.core.groups.Tuple.tuple("q", "q-0", 33L));
  }

  @Test
  void inferSendsRawInputsAndRequestedOutputsAndDecodesTheAnswer() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1"));
    pools.start();

    List<Tensor> out = pools.infer("a", List.of(X), List.of("y"), Deadline.after(10, TimeUnit.SECONDS))
        .get(10, TimeUnit.SECONDS);

    assertThat(out.get(0)).isEqualTo(X.withName("y"));
    assertThat(out.get(1).longs()).containsExactly(11);
    assertThat(w.received).hasSize(1);
    assertThat(w.received.get(0).getModelName()).isEqualTo("a");
    assertThat(w.received.get(0).getRawInputContents(0)).isEqualTo(X.data());
    assertThat(w.received.get(0).getInputs(0).getContents().getFp32ContentsCount()).isZero();
    assertThat(w.received.get(0).getOutputsList()).extracting(o -> o.getName()).containsExactly("y");
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  @Test
  void aModelNoPoolServesIsNamedWithTheKnownOnes() throws Exception {
    worker("w1:1", 11, "b", "a");
    PoolSet pools = pools(staticPool("p", 4, List.of("b", "a"), "w1:1"));
    pools.start();
    assertThat(failure(pools.infer("nope", List.of(X), List.of(), null)))
        .isInstanceOf(UnknownModelException.class)
        .hasMessage("model: \"nope\" (expected: one of [a, b])");
  }

  @Test
  void aDrainedMemberLeavesRoutingAtOnceFinishesItsCallThenStops() throws Exception {
    FakeWorker w1 = worker("w1:1", 11, "a");
    FakeWorker w2 = worker("w2:1", 22, "a");
    w1.mode = FakeWorker.Mode.HOLD;
    w2.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(staticPool("p", 10, List.of("a"), "w1:1", "w2:1"));
    pools.start();
    CompletableFuture<List<Tensor>> held = pools.infer("a", List.of(X), List.of(), null);
    FakeWorker busy = w1.held.isEmpty() ? w2 : w1;
    FakeWorker other = busy == w1 ? w2 : w1;
    String busyId = busy == w1 ? "p-0" : "p-1";
    String otherId = busy == w1 ? "p-1" : "p-0";
    other.mode = FakeWorker.Mode.ECHO;

    assertThat(pools.drainReplica(busyId).state()).isEqualTo("DRAINING");
    assertThatThrownBy(() -> pools.drainReplica(otherId)).isInstanceOf(ReplicaDrainRefusedException.class)
        .hasMessageContaining("is the last replica of pool p able to serve");
    assertThatThrownBy(() -> pools.drainReplica(busyId)).isInstanceOf(ReplicaDrainRefusedException.class)
        .hasMessageContaining("is DRAINING");
    assertThatThrownBy(() -> pools.drainReplica("p-7")).isInstanceOf(UnknownReplicaException.class)
        .hasMessageContaining("replica_id: \"p-7\" (expected: one of [p-0, p-1]");

    // new calls go to the other member only, while the drained one still holds its call
    for (int i = 0; i < 3; i++) {
      assertThat(pid(pools.infer("a", List.of(X), List.of(), null))).isEqualTo(other.pid);
    }
    assertThat(state(pools, busyId)).isEqualTo("DRAINING");
    answerHeld(busy);
    assertThat(pid(held)).as("the call in flight finishes on the drained member").isEqualTo(busy.pid);
    for (int i = 0; i < 500 && !state(pools, busyId).equals("STOPPED"); i++) {
      Thread.sleep(20);
    }
    assertThat(state(pools, busyId)).as("a drained static member leaves").isEqualTo("STOPPED");
  }

  private static String state(PoolSet pools, String id) {
    return pools.snapshot().get(0).replicas().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow().state();
  }

  @Test
  void theLessLoadedMemberGetsTheNextCall() throws Exception {
    FakeWorker w1 = worker("w1:1", 11, "a");
    FakeWorker w2 = worker("w2:1", 22, "a");
    w1.mode = FakeWorker.Mode.HOLD;
    w2.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(staticPool("p", 10, List.of("a"), "w1:1", "w2:1"));
    pools.start();

    CompletableFuture<List<Tensor>> first = pools.infer("a", List.of(X), List.of(), null);
    CompletableFuture<List<Tensor>> second = pools.infer("a", List.of(X), List.of(), null);

    // Two candidates are always both drawn: the idle one must win over the one holding a call.
    assertThat(w1.held).hasSize(1);
    assertThat(w2.held).hasSize(1);
    assertThat(pools.snapshot().get(0).replicas()).extracting(PoolSnapshot.ReplicaSnapshot::inFlight)
        .containsExactly(1, 1);
    answerHeld(w1, w2);
    assertThat(List.of(pid(first), pid(second))).containsExactlyInAnyOrder(11L, 22L);
    assertThat(pools.snapshot().get(0).replicas()).extracting(PoolSnapshot.ReplicaSnapshot::inFlight)
        .containsExactly(0, 0);
  }

  /** A static pool "p" serving model a, with session affinity, probed every {@code health}. */
  private static PoolSpec sessionPool(int maxInFlight, Duration health, String... endpoints) {
    return new PoolSpec("p", PoolSpec.Kind.STATIC, List.of("a"), endpoints.length, Device.CPU, false, List.of(),
        List.of(endpoints), Optional.empty(), maxInFlight, health, Duration.ofSeconds(10), List.of(), true,
        PoolSpec.Affinity.SESSION);
  }

  /** The pid of the worker that answered a call of {@code session}. */
  private static long answeredBy(PoolSet pools, String session) throws Exception {
    return pid(pools.infer("a", List.of(X), List.of(), null, session));
  }

  @Test
  void aSessionStaysOnOneMemberAndOnlyTheSessionsOfAMemberThatLeavesMove() throws Exception {
    FakeWorker w1 = worker("w1:1", 11, "a");
    worker("w2:1", 22, "a");
    worker("w3:1", 33, "a");
    PoolSet pools = pools(sessionPool(4, Duration.ofMillis(20), "w1:1", "w2:1", "w3:1"));
    pools.start();

    java.util.Map<String, Long> home = new java.util.LinkedHashMap<>();
    for (int s = 0; s < 30; s++) {
      String session = "s" + s;
      home.put(session, answeredBy(pools, session));
      for (int i = 0; i < 3; i++) {
        assertThat(answeredBy(pools, session)).as(session).isEqualTo(home.get(session));
      }
    }
    assertThat(new java.util.HashSet<>(home.values())).as("sessions spread").containsExactlyInAnyOrder(11L, 22L, 33L);

    w1.ready = false;
    assertThat(awaitReplica(pools, 0, r -> r.state().equals("UNHEALTHY")).state()).isEqualTo("UNHEALTHY");
    for (java.util.Map.Entry<String, Long> e : home.entrySet()) {
      long now = answeredBy(pools, e.getKey());
      if (e.getValue() == 11L) {
        assertThat(now).as(e.getKey() + " moved off the unhealthy member").isIn(22L, 33L);
      } else {
        assertThat(now).as(e.getKey() + " did not move").isEqualTo(e.getValue());
      }
    }

    w1.ready = true;
    assertThat(awaitReplica(pools, 0, r -> r.state().equals("READY")).state()).isEqualTo("READY");
    for (java.util.Map.Entry<String, Long> e : home.entrySet()) {
      assertThat(answeredBy(pools, e.getKey())).as(e.getKey() + " back home").isEqualTo(e.getValue());
    }
  }

  @Test
  void aSessionWhoseMemberIsFullSpillsToAnotherAndACallWithoutSessionIsServed() throws Exception {
    FakeWorker w1 = worker("w1:1", 11, "a");
    FakeWorker w2 = worker("w2:1", 22, "a");
    w1.mode = FakeWorker.Mode.HOLD;
    w2.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(sessionPool(1, Duration.ofHours(1), "w1:1", "w2:1"));
    pools.start();

    CompletableFuture<List<Tensor>> first = pools.infer("a", List.of(X), List.of(), null, "s1");
    CompletableFuture<List<Tensor>> second = pools.infer("a", List.of(X), List.of(), null, "s1");
    assertThat(w1.received.size() + w2.received.size()).isEqualTo(2);
    assertThat(w1.received).as("one call each: the second spilled").hasSize(1);
    CompletableFuture<List<Tensor>> third = pools.infer("a", List.of(X), List.of(), null, "s1");
    assertThat(third).as("both full: it waits in the pool's queue, as without affinity").isNotDone();
    answerHeld(w1, w2);
    assertThat(List.of(pid(first), pid(second))).containsExactlyInAnyOrder(11L, 22L);
    // The first slot given back goes to the queued call, on whichever member it was.
    for (int i = 0; i < 200 && w1.held.isEmpty() && w2.held.isEmpty(); i++) {
      Thread.sleep(10);
    }
    answerHeld(w1.held.isEmpty() ? w2 : w1);
    assertThat(third.get(10, TimeUnit.SECONDS)).hasSize(2);
    w1.mode = FakeWorker.Mode.ECHO;
    w2.mode = FakeWorker.Mode.ECHO;
    assertThat(pools.infer("a", List.of(X), List.of(), null, null).get(10, TimeUnit.SECONDS)).hasSize(2);
    assertThat(pools.snapshot().get(0).affinity()).isEqualTo(PoolSpec.Affinity.SESSION);
  }

  @Test
  void aFullPoolQueuesCallsFirstInFirstOutAndRefusesThoseBeyondItsQueue() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(queuedPool("p", 1, 2, List.of("a"), "w1:1"));
    pools.start();

    CompletableFuture<List<Tensor>> first = pools.infer("a", List.of(x(1)), List.of(), null);
    CompletableFuture<List<Tensor>> second = pools.infer("a", List.of(x(2)), List.of(), null);
    CompletableFuture<List<Tensor>> third = pools.infer("a", List.of(x(3)), List.of(), null);
    assertThat(failure(pools.infer("a", List.of(x(4)), List.of(), null)))
        .isInstanceOf(PoolSaturatedException.class)
        .hasMessage("pool p: at capacity (1 READY replica(s) at their limit of 1 calls in flight, and 2 calls queued)");
    assertThat(arrived(w)).containsExactly(1f);

    // Each answer frees the one slot, which goes to the oldest waiter.
    answerHeld(w);
    first.get(10, TimeUnit.SECONDS);
    answerHeld(w);
    second.get(10, TimeUnit.SECONDS);
    answerHeld(w);
    third.get(10, TimeUnit.SECONDS);
    assertThat(arrived(w)).containsExactly(1f, 2f, 3f);
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  /** {@code pools.infer} of x(v) as a request of {@code priority} makes it. */
  private static CompletableFuture<List<Tensor>> inferAs(Priority priority, PoolSet pools, float v) throws Exception {
    return priority.in(Context.current()).call(() -> pools.infer("a", List.of(x(v)), List.of(), null));
  }

  @Test
  void aFreedSlotGoesToTheOldestInteractiveWaiterBeforeAnyBatchWaiter() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(queuedPool("p", 1, 8, List.of("a"), "w1:1"));
    pools.start();

    CompletableFuture<List<Tensor>> first = inferAs(Priority.BATCH, pools, 1);
    CompletableFuture<List<Tensor>> batch1 = inferAs(Priority.BATCH, pools, 2);
    CompletableFuture<List<Tensor>> batch2 = inferAs(Priority.BATCH, pools, 3);
    CompletableFuture<List<Tensor>> interactive1 = inferAs(Priority.INTERACTIVE, pools, 4);
    CompletableFuture<List<Tensor>> unmarked = pools.infer("a", List.of(x(5)), List.of(), null); // interactive
    assertThat(pools.snapshot().get(0).queued()).isEqualTo(4);

    for (CompletableFuture<List<Tensor>> call : List.of(first, interactive1, unmarked, batch1, batch2)) {
      answerHeld(w);
      call.get(10, TimeUnit.SECONDS);
    }
    assertThat(arrived(w)).containsExactly(1f, 4f, 5f, 2f, 3f);
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  @Test
  void batchCallsTakeASlotOnlyBelowTheirShareOfAReplicaSoInteractiveOnesFindItFree() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(queuedPool("p", 4, 8, List.of("a"), "w1:1").withBatchShare(0.5));
    pools.start();

    CompletableFuture<List<Tensor>> batch1 = inferAs(Priority.BATCH, pools, 1);
    CompletableFuture<List<Tensor>> batch2 = inferAs(Priority.BATCH, pools, 2);
    CompletableFuture<List<Tensor>> interactive1 = inferAs(Priority.INTERACTIVE, pools, 3);
    awaitHeld(w, 3);
    CompletableFuture<List<Tensor>> batch3 = inferAs(Priority.BATCH, pools, 4);
    assertThat(pools.snapshot().get(0).queued()).as("a slot is free, but 3 calls are in flight, over batch's share of 2").isEqualTo(1);
    CompletableFuture<List<Tensor>> interactive2 = inferAs(Priority.INTERACTIVE, pools, 5);
    awaitHeld(w, 4);
    assertThat(arrived(w)).containsExactly(1f, 2f, 3f, 5f);

    answerHeld(w); // batch1 ends, but the replica still has 3 calls in flight: no room for batch below 2
    batch1.get(10, TimeUnit.SECONDS);
    assertThat(pools.snapshot().get(0).queued()).isEqualTo(1);
    answerHeld(w); // batch2
    answerHeld(w); // interactive1: 1 call in flight, and the waiting batch call goes
    batch2.get(10, TimeUnit.SECONDS);
    interactive1.get(10, TimeUnit.SECONDS);
    awaitHeld(w, 2);
    assertThat(arrived(w)).containsExactly(1f, 2f, 3f, 5f, 4f);
    for (CompletableFuture<List<Tensor>> call : List.of(interactive2, batch3)) {
      answerHeld(w);
      call.get(10, TimeUnit.SECONDS);
    }
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  /** Waits until {@code w} holds {@code n} calls unanswered. */
  private static void awaitHeld(FakeWorker w, int n) throws InterruptedException {
    for (int i = 0; i < 500 && w.held.size() < n; i++) {
      Thread.sleep(10);
    }
    assertThat(w.held).hasSize(n);
  }

  @Test
  void callsWhoseCallersLeftDoNotTakeTheRoomOfNewOnesInAFullQueue() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(queuedPool("p", 1, 2, List.of("a"), "w1:1"));
    pools.start();

    CompletableFuture<List<Tensor>> first = pools.infer("a", List.of(x(1)), List.of(), null);
    CompletableFuture<List<Tensor>> leaving = inferAs(Priority.BATCH, pools, 2);
    CompletableFuture<List<Tensor>> second = pools.infer("a", List.of(x(3)), List.of(), null);
    leaving.cancel(false); // still in the queue: dropped lazily, when its turn comes or room is needed
    CompletableFuture<List<Tensor>> third = inferAs(Priority.BATCH, pools, 4);
    assertThat(third).isNotDone();

    for (CompletableFuture<List<Tensor>> call : List.of(first, second, third)) {
      answerHeld(w);
      call.get(10, TimeUnit.SECONDS);
    }
    assertThat(arrived(w)).containsExactly(1f, 3f, 4f);
  }

  @Test
  void aQueuedCallWhoseDeadlinePassedIsDroppedUnsentAndOneWhoseCallerLeftIsSkipped() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(queuedPool("p", 1, 8, List.of("a"), "w1:1"));
    pools.start();
    FakeTicker ticker = new FakeTicker();

    CompletableFuture<List<Tensor>> first = pools.infer("a", List.of(x(1)), List.of(), null);
    CompletableFuture<List<Tensor>> late =
        pools.infer("a", List.of(x(2)), List.of(), Deadline.after(1, TimeUnit.SECONDS, ticker));
    CompletableFuture<List<Tensor>> leaving = pools.infer("a", List.of(x(3)), List.of(), null);
    CompletableFuture<List<Tensor>> waiting = pools.infer("a", List.of(x(4)), List.of(), null);
    ticker.nanos += TimeUnit.SECONDS.toNanos(2);
    leaving.cancel(false);

    answerHeld(w);
    first.get(10, TimeUnit.SECONDS);
    assertThat(failure(late)).isInstanceOf(PoolQueueTimeoutException.class)
        .hasMessageStartingWith("pool p: the deadline passed while the call waited for a free replica");
    answerHeld(w);
    waiting.get(10, TimeUnit.SECONDS);
    assertThat(arrived(w)).containsExactly(1f, 4f);
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  @Test
  void manyMoreCallsThanSlotsAllCompleteThroughTheQueue() throws Exception {
    worker("w1:1", 11, "a"); // answers at once
    PoolSet pools = pools(queuedPool("p", 2, 1000, List.of("a"), "w1:1"));
    pools.start();

    List<CompletableFuture<List<Tensor>>> calls = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      calls.add(pools.infer("a", List.of(x(i)), List.of(), null));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertThat(pools.snapshot().get(0).queued()).isZero();
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  /** A deadline clock the test moves. */
  private static final class FakeTicker extends Deadline.Ticker {
    volatile long nanos;

    @Override
    public long nanoTime() {
      return nanos;
    }
  }

  @Test
  void aFullPoolWithNoQueueSaysSoAndTakesCallsAgainOnceOneCompletes() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(queuedPool("p", 1, 0, List.of("a"), "w1:1"));
    pools.start();

    CompletableFuture<List<Tensor>> first = pools.infer("a", List.of(X), List.of(), null);
    assertThat(failure(pools.infer("a", List.of(X), List.of(), null)))
        .isInstanceOf(PoolSaturatedException.class)
        .hasMessage("pool p: at capacity (1 READY replica(s) at their limit of 1 calls in flight)");

    answerHeld(w);
    first.get(10, TimeUnit.SECONDS);

    w.mode = FakeWorker.Mode.ECHO;
    assertThat(pools.infer("a", List.of(X), List.of(), null).get(10, TimeUnit.SECONDS)).hasSize(2);
  }

  @Test
  void aWorkersErrorKeepsItsCodeAndNamesTheReplica() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.FAIL;
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1"));
    pools.start();

    Throwable t = failure(pools.infer("a", List.of(X), List.of(), null));
    assertThat(t).isInstanceOf(ReplicaCallException.class)
        .hasMessage("replica p-0: INVALID_ARGUMENT: x: shape [3] (expected: [-1, 2])");
    assertThat(((ReplicaCallException) t).status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  @Test
  void aCallPastItsDeadlineFailsWithDeadlineExceeded() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1"));
    pools.start();

    Throwable t = failure(pools.infer("a", List.of(X), List.of(), Deadline.after(50, TimeUnit.MILLISECONDS)));
    assertThat(t).isInstanceOf(ReplicaCallException.class);
    assertThat(((ReplicaCallException) t).status().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  @Test
  void cancellingTheFutureCancelsTheCallAndFreesTheSlot() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1"));
    pools.start();

    CompletableFuture<List<Tensor>> call = pools.infer("a", List.of(X), List.of(), null);
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isEqualTo(1);
    call.cancel(false);
    // Freed when gRPC closes the cancelled call, which follows the cancel.
    awaitNoneInFlight(pools);
  }

  private static void awaitNoneInFlight(PoolSet pools) throws InterruptedException {
    for (int i = 0; i < 1_000 && pools.snapshot().get(0).replicas().get(0).inFlight() > 0; i++) {
      Thread.sleep(5);
    }
    assertThat(pools.snapshot().get(0).replicas().get(0).inFlight()).isZero();
  }

  @Test
  void aCallerThatEndsTheFutureOtherwiseThanByCancelAlsoCancelsTheCallAndFreesTheSlot() throws Exception {
    FakeWorker w = worker("w1:1", 11, "a");
    w.mode = FakeWorker.Mode.HOLD;
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1"));
    pools.start();

    // As orTimeout() or completeExceptionally() would: the future ends while the call is still out.
    CompletableFuture<List<Tensor>> call = pools.infer("a", List.of(X), List.of(), null);
    call.completeExceptionally(new java.util.concurrent.TimeoutException("caller gave up"));
    awaitNoneInFlight(pools);
    io.grpc.stub.ServerCallStreamObserver<ModelInferResponse> held =
        (io.grpc.stub.ServerCallStreamObserver<ModelInferResponse>) w.held.take();
    for (int i = 0; i < 500 && !held.isCancelled(); i++) {
      Thread.sleep(10);
    }
    assertThat(held.isCancelled()).isTrue();
  }

  @Test
  void aStaticPoolStartsWithOneMemberUpAndReportsTheOtherUnhealthy() throws Exception {
    worker("w1:1", 11, "a");
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1", "gone:1"));
    pools.start();

    PoolSnapshot.ReplicaSnapshot up = awaitReplica(pools, 0, r -> r.pid() == 11);
    assertThat(up.state()).isEqualTo("READY");
    assertThat(up.device()).isEqualTo("cpu");
    assertThat(up.endpoint()).isEqualTo("w1:1");
    PoolSnapshot.ReplicaSnapshot down = pools.snapshot().get(0).replicas().get(1);
    assertThat(down.state()).isEqualTo("UNHEALTHY");
    assertThat(down.lastError()).startsWith("health check: UNAVAILABLE");
    assertThat(down.pid()).isZero();

    // Routing never picks the unhealthy member.
    for (int i = 0; i < 20; i++) {
      assertThat(pools.infer("a", List.of(X), List.of(), null).get(10, TimeUnit.SECONDS).get(1).longs()).containsExactly(11);
    }
  }

  @Test
  void aStaticPoolWithNoMemberUpFailsToStartAndSaysWhy() {
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "gone:1", "gone:2"));
    assertThatThrownBy(pools::start)
        .isInstanceOf(PoolStartException.class)
        .hasMessageStartingWith("pool p: no member READY (expected: at least one)")
        .hasMessageContaining("p-0 at gone:1: UNHEALTHY (health check: UNAVAILABLE")
        .hasMessageContaining("p-1 at gone:2: UNHEALTHY");
    // A failed start closes what it started.
    assertThat(pools.snapshot().get(0).replicas()).extracting(PoolSnapshot.ReplicaSnapshot::state)
        .containsOnly("STOPPED");
  }

  @Test
  void aModelTheMemberDoesNotServeFailsStart() throws Exception {
    worker("w1:1", 11, "a");
    PoolSet pools = pools(staticPool("p", 4, List.of("a", "b"), "w1:1"));
    assertThatThrownBy(pools::start)
        .isInstanceOf(PoolStartException.class)
        .hasMessageStartingWith("pool p: model b: metadata from replica p-0 at w1:1: NOT_FOUND");
  }

  @Test
  void aDatatypeWeDoNotKnowFailsStart() throws Exception {
    worker("w1:1", 11, "weird");
    PoolSet pools = pools(staticPool("p", 4, List.of("weird"), "w1:1"));
    assertThatThrownBy(pools::start)
        .isInstanceOf(PoolStartException.class)
        .hasMessageStartingWith("pool p: model weird: inputs.x.datatype: \"FP8\" (expected: one of BOOL, ");
  }

  @Test
  void afterCloseNoReplicaTakesCallsAndCloseIsIdempotent() throws Exception {
    worker("w1:1", 11, "a");
    PoolSet pools = pools(staticPool("p", 4, List.of("a"), "w1:1"));
    pools.start();
    pools.close();
    pools.close();
    assertThat(pools.snapshot().get(0).replicas().get(0).state()).isEqualTo("STOPPED");
    assertThat(failure(pools.infer("a", List.of(X), List.of(), null)))
        .isInstanceOf(NoReadyReplicaException.class)
        .hasMessage("pool p: no ready replica (0 of 1 replicas READY: p-0 at w1:1 STOPPED)");
  }

  @Test
  void poolsThatCannotWorkAreRefusedAtCreate() {
    assertThatThrownBy(() -> pools(staticPool("p", 4, List.of("a"), "w:1"), staticPool("q", 4, List.of("a"), "w:2")))
        .hasMessage("model a: served by pools p and q (expected: each model in one pool)");
    assertThatThrownBy(() -> pools(staticPool("p", 0, List.of("a"), "w:1")))
        .hasMessage("pool p: max_in_flight: 0 (expected: >= 1)");
    PoolSpec shortCpus = new PoolSpec("l", PoolSpec.Kind.LOCAL, List.of("a"), 3, Device.CPU, false, List.of("0", "1"),
        List.of(), Optional.empty(), 4, Duration.ofHours(1), Duration.ofSeconds(10), List.of());
    assertThatThrownBy(() -> pools(shortCpus))
        .hasMessage("pool l: cpus: 2 entries (expected: 1, or one per replica: 3)");
  }

  private static PoolSnapshot.ReplicaSnapshot awaitReplica(
      PoolSet pools, int index, java.util.function.Predicate<PoolSnapshot.ReplicaSnapshot> condition) throws InterruptedException {
    // Stats arrive asynchronously after READY; bounded wait, no timing asserted.
    for (int i = 0; i < 500; i++) {
      PoolSnapshot.ReplicaSnapshot r = pools.snapshot().get(0).replicas().get(index);
      if (condition.test(r)) {
        return r;
      }
      Thread.sleep(10);
    }
    return pools.snapshot().get(0).replicas().get(index);
  }
}
