package io.junction.workers.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.workers.serving.CallAbandonedException.Reason;
import io.junction.workers.serving.ModelCalls.Outcome;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bounded executor alone, with latches instead of sleeps: one thread, one queue slot. */
class ModelCallsTest {
  private final ModelCalls calls = new ModelCalls(1, 1);
  private final List<Outcome> done = new CopyOnWriteArrayList<>();
  private final CountDownLatch started = new CountDownLatch(1);
  private final CountDownLatch unblock = new CountDownLatch(1);

  @AfterEach
  void stop() {
    unblock.countDown();
    calls.shutdown();
  }

  /** Occupies the only thread until {@link #unblock} opens. */
  private CompletableFuture<String> blockTheThread() {
    return calls.submit(CallScope.waiting(), () -> {
      started.countDown();
      try {
        unblock.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "blocker";
    }, done::add);
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  @Test
  void fullQueueRefusesWithBusyAndEveryPermitIsReleasedOnce() throws Exception {
    CompletableFuture<String> blocker = blockTheThread();
    started.await(30, TimeUnit.SECONDS);
    CompletableFuture<String> queued = calls.submit(CallScope.waiting(), () -> "queued", done::add);
    assertThat(calls.inFlight()).isEqualTo(2);
    assertThatThrownBy(() -> calls.submit(CallScope.waiting(), () -> "refused", done::add))
        .isInstanceOf(WorkerBusyException.class)
        .hasMessage("worker busy: 1 calls queued (expected: fewer than 1)");
    assertThat(done).containsExactly(Outcome.REJECTED);
    unblock.countDown();
    assertThat(get(blocker)).isEqualTo("blocker");
    assertThat(get(queued)).isEqualTo("queued");
    assertThat(done).containsExactlyInAnyOrder(Outcome.REJECTED, Outcome.SUCCEEDED, Outcome.SUCCEEDED);
    get(calls.whenIdle());
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void queuedCallWhoseCallerLeftIsDroppedNotRun() throws Exception {
    CompletableFuture<String> blocker = blockTheThread();
    started.await(30, TimeUnit.SECONDS);
    AtomicReference<Optional<Reason>> gone = new AtomicReference<>(Optional.empty());
    AtomicBoolean ran = new AtomicBoolean();
    CompletableFuture<String> queued = calls.submit(gone::get, () -> {
      ran.set(true);
      return "ran";
    }, done::add);
    gone.set(Optional.of(Reason.DEADLINE_EXCEEDED));
    unblock.countDown();
    get(blocker);
    assertThatThrownBy(() -> get(queued))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(CallAbandonedException.class)
        .extracting(e -> ((CallAbandonedException) e).reason()).isEqualTo(Reason.DEADLINE_EXCEEDED);
    assertThat(ran).isFalse();
    assertThat(calls.outcomes(Outcome.DROPPED)).isEqualTo(1);
    assertThat(done).containsExactlyInAnyOrder(Outcome.SUCCEEDED, Outcome.DROPPED);
  }

  @Test
  void failingWorkFailsItsFutureAndReleasesOnce() throws Exception {
    CompletableFuture<String> f = calls.submit(CallScope.waiting(), () -> {
      throw new IllegalStateException("boom");
    }, done::add);
    assertThatThrownBy(() -> get(f)).cause().hasMessage("boom");
    assertThat(done).containsExactly(Outcome.FAILED);
    assertThat(calls.inFlight()).isZero();
  }

  @Test
  void theOutcomeIsRecordedBeforeTheCallerSeesTheAnswer() throws Exception {
    CompletableFuture<Integer> f = calls.submit(CallScope.waiting(), () -> 1, done::add);
    List<Outcome> seen = get(f.thenApply(v -> List.copyOf(done)));
    assertThat(seen).containsExactly(Outcome.SUCCEEDED);
  }

  @Test
  void afterStopAcceptingNewCallsAreRefusedAndIdleCompletesWhenInFlightFinish() throws Exception {
    CompletableFuture<String> blocker = blockTheThread();
    started.await(30, TimeUnit.SECONDS);
    calls.stopAccepting();
    CompletableFuture<Void> idle = calls.whenIdle();
    assertThatThrownBy(() -> calls.submit(CallScope.waiting(), () -> "late", done::add))
        .isInstanceOf(WorkerDrainingException.class);
    assertThat(idle).isNotDone();
    unblock.countDown();
    get(blocker);
    get(idle);
    assertThat(done).containsExactlyInAnyOrder(Outcome.REJECTED, Outcome.SUCCEEDED);
  }

  @Test
  void shutdownRefusesQueuedCallsAndReleasesTheirPermits() throws Exception {
    blockTheThread();
    started.await(30, TimeUnit.SECONDS);
    CompletableFuture<String> queued = calls.submit(CallScope.waiting(), () -> "queued", done::add);
    calls.shutdown();
    assertThatThrownBy(() -> get(queued)).cause().isInstanceOf(WorkerDrainingException.class);
    assertThat(done).contains(Outcome.REJECTED);
    get(calls.whenIdle());
    assertThat(calls.inFlight()).isZero();
  }
}
