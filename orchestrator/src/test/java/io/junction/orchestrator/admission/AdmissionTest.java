package io.junction.orchestrator.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link Admission}: its limits, the reserve batch work cannot take, and permits released exactly once. */
class AdmissionTest {

  private static Admission admission(int maxInFlight, double batchShare) {
    return new Admission(new AdmissionConfig(maxInFlight, batchShare, Map.of("nightly", Priority.BATCH)));
  }

  @Test
  void admitsUpToTheLimitThenRefusesAtOnceNamingTheLimitAndItsSetting() {
    Admission a = admission(2, 0.5);
    a.admit("chat", Priority.INTERACTIVE);
    a.admit("chat", Priority.INTERACTIVE);

    assertThatThrownBy(() -> a.admit("chat", Priority.INTERACTIVE))
        .isInstanceOf(AdmissionRejectedException.class)
        .hasMessage("admission: 2 requests in flight, the limit of admission.max_in_flight; chat refused"
            + " (expected: retry later with backoff)");
    assertThat(a.snapshot().inFlight()).isEqualTo(2);
    assertThat(a.snapshot().rejectedInteractive()).isEqualTo(1);
  }

  @Test
  void batchIsShedAtItsShareWhileInteractiveStillGetsTheReserve() {
    Admission a = admission(4, 0.5);
    a.admit("nightly", Priority.BATCH);
    a.admit("nightly", Priority.BATCH);

    assertThatThrownBy(() -> a.admit("nightly", Priority.BATCH))
        .isInstanceOf(AdmissionRejectedException.class)
        .hasMessage("admission: 2 batch requests in flight, the limit of admission.batch_share 0.5 of"
            + " admission.max_in_flight 4; nightly refused (expected: retry later with backoff)");
    a.admit("chat", Priority.INTERACTIVE);
    a.admit("chat", Priority.INTERACTIVE);
    assertThatThrownBy(() -> a.admit("chat", Priority.INTERACTIVE)).isInstanceOf(AdmissionRejectedException.class);
    assertThat(a.snapshot()).isEqualTo(new AdmissionSnapshot(4, 2, 4, 1, 1, 0, 0, 0));
  }

  @Test
  void interactiveWorkCanCrowdOutBatchWorkButNotTheOtherWayRound() {
    Admission a = admission(4, 0.5);
    for (int i = 0; i < 4; i++) {
      a.admit("chat", Priority.INTERACTIVE);
    }
    assertThatThrownBy(() -> a.admit("nightly", Priority.BATCH))
        .hasMessageContaining("4 requests in flight, the limit of admission.max_in_flight");
    // the refused batch request gave back the batch count it took on its way in
    assertThat(a.snapshot().batchInFlight()).isZero();
  }

  @Test
  void aPermitIsReleasedExactlyOnceWithItsOutcome() {
    Admission a = admission(1, 1.0);
    Permit p = a.admit("chat", Priority.INTERACTIVE);

    assertThat(p.release(Permit.Outcome.SUCCEEDED)).isTrue();
    assertThat(p.release(Permit.Outcome.CANCELLED)).isFalse();
    assertThat(a.snapshot()).isEqualTo(new AdmissionSnapshot(0, 0, 1, 0, 0, 1, 0, 0));
    a.admit("chat", Priority.INTERACTIVE); // the one slot is free again, and only one
    assertThatThrownBy(() -> a.admit("chat", Priority.INTERACTIVE)).isInstanceOf(AdmissionRejectedException.class);
  }

  @Test
  void aRunHoldsItsPermitUntilItsFutureCompletesHoweverItDoes() {
    Admission a = admission(3, 1.0);
    CompletableFuture<String> answered = new CompletableFuture<>();
    CompletableFuture<String> failing = new CompletableFuture<>();
    CompletableFuture<String> cancelled = new CompletableFuture<>();
    assertThat(a.run("chat", () -> answered)).isSameAs(answered);
    a.run("chat", () -> failing);
    a.run("chat", () -> cancelled);
    assertThat(a.snapshot().inFlight()).isEqualTo(3);

    answered.complete("ok");
    failing.completeExceptionally(new IllegalStateException("step failed"));
    cancelled.cancel(false);
    assertThat(a.snapshot()).isEqualTo(new AdmissionSnapshot(0, 0, 3, 0, 0, 1, 1, 1));
  }

  @Test
  void aRefusedRunStartsNothingAndAFailedStartGivesThePermitBack() {
    Admission a = admission(1, 1.0);
    CompletableFuture<String> holding = a.run("chat", CompletableFuture::new);
    List<String> started = new ArrayList<>();
    CompletableFuture<String> refused = a.run("chat", () -> {
      started.add("chat");
      return new CompletableFuture<>();
    });
    assertThat(started).isEmpty();
    assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AdmissionRejectedException.class);

    holding.cancel(false);
    assertThatThrownBy(() -> a.run("chat", () -> {
      throw new IllegalArgumentException("bad input");
    })).isInstanceOf(IllegalArgumentException.class);
    assertThat(a.snapshot().inFlight()).isZero();
    assertThat(a.snapshot().failed()).isEqualTo(1);
  }

  @Test
  void aRunTakesTheClientsPriorityElseThePipelinesAndStartsWithItInItsContext() throws Exception {
    Admission a = admission(4, 0.25); // one batch request at a time
    AtomicReference<Priority> seen = new AtomicReference<>();
    CompletableFuture<String> nightly = a.run("nightly", () -> {
      seen.set(Priority.currentOrInteractive());
      return new CompletableFuture<>();
    });
    assertThat(seen).hasValue(Priority.BATCH);
    assertThat(a.snapshot().batchInFlight()).isEqualTo(1);

    // the client says interactive: the pipeline's default does not apply
    Priority.INTERACTIVE.in(Context.current()).call(() -> a.run("nightly", () -> {
      seen.set(Priority.currentOrInteractive());
      return new CompletableFuture<>();
    }));
    assertThat(seen).hasValue(Priority.INTERACTIVE);
    // the client says batch on an interactive pipeline: shed, as the batch share is taken
    CompletableFuture<Object> shed = Priority.BATCH.in(Context.current())
        .call(() -> a.run("chat", CompletableFuture::new));
    assertThatThrownBy(shed::get).hasCauseInstanceOf(AdmissionRejectedException.class);
    assertThat(Priority.current()).isEmpty();
    nightly.complete("done");
  }

  @Test
  void priorityParsesItsWireNamesOnly() {
    assertThat(Priority.parse("interactive")).hasValue(Priority.INTERACTIVE);
    assertThat(Priority.parse("BATCH")).hasValue(Priority.BATCH);
    assertThat(Priority.parse("urgent")).isEmpty();
    assertThat(new InvalidPriorityException("urgent"))
        .hasMessage("junction-priority: \"urgent\" (expected: interactive or batch)");
  }

  @Test
  void configRefusesLimitsThatMakeNoSenseAndSizesQueuesFromAdmission() {
    assertThatThrownBy(() -> new AdmissionConfig(0, 0.5, Map.of())).hasMessageContaining("admission.max_in_flight: 0");
    assertThatThrownBy(() -> new AdmissionConfig(8, 0, Map.of())).hasMessageContaining("admission.batch_share: 0.0");
    assertThat(new AdmissionConfig(10, 0.05, Map.of()).maxBatchInFlight()).isEqualTo(1);
    assertThat(new AdmissionConfig(256, 0.5, Map.of()).queueBound(5)).isEqualTo(1280);
  }
}
