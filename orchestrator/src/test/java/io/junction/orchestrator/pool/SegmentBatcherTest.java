package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.junction.engine.ModelInvoker.SegmentAnswer;
import io.junction.engine.PipelineResult;
import io.junction.orchestrator.admission.Priority;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The batcher in front of one row-wise plan, with calls that the test answers by hand: what
 * leaves at once, what waits, how waiting runs are stacked and how each gets its own rows back.
 * The "worker" of these calls doubles every value, row by row, as a row-wise plan would.
 */
class SegmentBatcherTest {
  private static final List<String> OUTPUTS = List.of("y");

  /** One call the batcher sent: what it carried, and its answer, given by the test. */
  private record Call(List<Tensor> inputs, Deadline deadline, CompletableFuture<SegmentAnswer> answer) {
    long rows() {
      return inputs.get(0).dim(0);
    }

    /** Answers as a row-wise plan: y = 2x for every row. */
    void answerDoubled() {
      float[] x = inputs.get(0).floats();
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = 2 * x[i];
      }
      answer.complete(new SegmentAnswer(List.of(Tensor.ofFloats("y", inputs.get(0).shape(), y)),
          List.of(new PipelineResult.StepTiming("double", 10, 1)), "pool-0"));
    }
  }

  private final List<Call> calls = new ArrayList<>();
  /** The priority each call was sent at, in the order sent. */
  private final List<Priority> sentAs = new ArrayList<>();
  private int limit = 1;

  private SegmentBatcher batcher(int maxRows) {
    return new SegmentBatcher("pool", maxRows, () -> limit, (inputs, outputs, deadline) -> {
      assertThat(outputs).isEqualTo(OUTPUTS);
      Call c = new Call(inputs, deadline, new CompletableFuture<>());
      calls.add(c);
      sentAs.add(Priority.currentOrInteractive());
      return c.answer;
    });
  }

  private static List<Tensor> x(float... values) {
    return List.of(Tensor.ofFloats("x", new long[] {values.length, 1}, values));
  }

  private static Deadline in(long seconds) {
    return Deadline.after(seconds, TimeUnit.SECONDS);
  }

  private static float[] y(CompletableFuture<SegmentAnswer> answer) throws Exception {
    return answer.get(1, TimeUnit.SECONDS).outputs().get(0).floats();
  }

  @Test
  void aRunThatFindsAFreeCallGoesAtOnceAlone() throws Exception {
    SegmentBatcher b = batcher(8);
    CompletableFuture<SegmentAnswer> a = b.submit(x(1, 2), OUTPUTS, in(10));
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0).rows()).isEqualTo(2);
    calls.get(0).answerDoubled();
    assertThat(y(a)).containsExactly(2, 4);
  }

  @Test
  void aStackedCallCarryingAnInteractiveRunIsSentAsInteractiveAndOneOfBatchRunsAsBatch() throws Exception {
    SegmentBatcher b = batcher(8);
    Priority.BATCH.in(Context.current()).run(() -> b.submit(x(1), OUTPUTS, in(10)));
    Priority.BATCH.in(Context.current()).run(() -> b.submit(x(2), OUTPUTS, in(10)));
    Priority.INTERACTIVE.in(Context.current()).run(() -> b.submit(x(3), OUTPUTS, in(10)));
    calls.get(0).answerDoubled(); // the two waiting runs leave stacked: batch first, an interactive one with it
    Priority.BATCH.in(Context.current()).run(() -> b.submit(x(4), OUTPUTS, in(10)));
    Priority.BATCH.in(Context.current()).run(() -> b.submit(x(5), OUTPUTS, in(10)));
    calls.get(1).answerDoubled();

    assertThat(calls).extracting(Call::rows).containsExactly(1L, 2L, 2L);
    assertThat(sentAs).containsExactly(Priority.BATCH, Priority.INTERACTIVE, Priority.BATCH);
  }

  @Test
  void runsThatWaitLeaveStackedWhenACallEndsAndEachGetsItsOwnRows() throws Exception {
    SegmentBatcher b = batcher(8);
    CompletableFuture<SegmentAnswer> first = b.submit(x(1), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> second = b.submit(x(2, 3), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> third = b.submit(x(4), OUTPUTS, in(20));
    assertThat(calls).hasSize(1);
    assertThat(b.waiting()).isEqualTo(2);

    calls.get(0).answerDoubled();
    assertThat(y(first)).containsExactly(2);
    assertThat(calls).hasSize(2);
    Call stacked = calls.get(1);
    assertThat(stacked.rows()).isEqualTo(3);
    assertThat(stacked.inputs().get(0).floats()).containsExactly(2, 3, 4);
    // The latest deadline of the runs it carries: each run's own still holds where it waits.
    assertThat(stacked.deadline().timeRemaining(TimeUnit.SECONDS)).isGreaterThan(15);

    stacked.answerDoubled();
    assertThat(y(second)).containsExactly(4, 6);
    assertThat(y(third)).containsExactly(8);
    assertThat(second.get().outputs().get(0).shape()).containsExactly(2, 1);
    assertThat(third.get().steps()).extracting(PipelineResult.StepTiming::step).containsExactly("double");
    assertThat(third.get().ranOn()).isEqualTo("pool-0");
  }

  @Test
  void aCallCarriesAtMostMaxRowsAndTheRestWaitsForTheNext() throws Exception {
    SegmentBatcher b = batcher(3);
    b.submit(x(0), OUTPUTS, in(10));
    List<CompletableFuture<SegmentAnswer>> waiting = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      waiting.add(b.submit(x(i), OUTPUTS, in(10)));
    }
    calls.get(0).answerDoubled();
    assertThat(calls.get(1).inputs().get(0).floats()).containsExactly(1, 2, 3);
    calls.get(1).answerDoubled();
    assertThat(calls.get(2).inputs().get(0).floats()).containsExactly(4, 5);
    calls.get(2).answerDoubled();
    for (int i = 0; i < 5; i++) {
      assertThat(y(waiting.get(i))).containsExactly(2 * (i + 1));
    }
  }

  @Test
  void runsThatCannotShareACallWaitForTheirOwn() throws Exception {
    SegmentBatcher b = batcher(8);
    b.submit(x(0), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> narrow = b.submit(x(1), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> wide =
        b.submit(List.of(Tensor.ofFloats("x", new long[] {1, 2}, 5, 6)), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> narrowToo = b.submit(x(2), OUTPUTS, in(10));
    calls.get(0).answerDoubled();
    assertThat(calls.get(1).inputs().get(0).floats()).containsExactly(1, 2);
    calls.get(1).answerDoubled();
    assertThat(calls.get(2).inputs().get(0).shape()).containsExactly(1, 2);
    calls.get(2).answerDoubled();
    assertThat(y(narrow)).containsExactly(2);
    assertThat(y(narrowToo)).containsExactly(4);
    assertThat(y(wide)).containsExactly(10, 12);
  }

  @Test
  void theLimitIsTheNumberOfCallsInFlight() {
    limit = 2;
    SegmentBatcher b = batcher(8);
    b.submit(x(0), OUTPUTS, in(10));
    b.submit(x(1), OUTPUTS, in(10));
    b.submit(x(2), OUTPUTS, in(10));
    assertThat(calls).hasSize(2);
    assertThat(b.waiting()).isEqualTo(1);
  }

  @Test
  void aStackedCallThatFailsInTheWorkersStepsIsSentAgainRunByRun() throws Exception {
    SegmentBatcher b = batcher(8);
    b.submit(x(0), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> good = b.submit(x(1), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> bad = b.submit(x(-1), OUTPUTS, in(10));
    calls.get(0).answerDoubled();
    calls.get(1).answer().completeExceptionally(new SegmentFailedInWorkerException("pool-0",
        Status.INVALID_ARGUMENT.withDescription("step double: x must not be negative")));
    assertThat(calls).hasSize(4);
    assertThat(calls.get(2).rows()).isEqualTo(1);
    assertThat(calls.get(3).rows()).isEqualTo(1);
    calls.get(2).answerDoubled();
    calls.get(3).answer().completeExceptionally(new SegmentFailedInWorkerException("pool-0",
        Status.INVALID_ARGUMENT.withDescription("step double: x must not be negative")));
    assertThat(y(good)).containsExactly(2);
    assertThatThrownBy(() -> bad.get(1, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(SegmentFailedInWorkerException.class);
  }

  @Test
  void aStackedCallThatTheTransportFailsFailsEveryRunItCarried() {
    SegmentBatcher b = batcher(8);
    b.submit(x(0), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> one = b.submit(x(1), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> two = b.submit(x(2), OUTPUTS, in(10));
    calls.get(0).answerDoubled();
    calls.get(1).answer().completeExceptionally(new ReplicaCallException("pool-0", Status.UNAVAILABLE));
    assertThat(calls).hasSize(2);
    for (CompletableFuture<SegmentAnswer> f : List.of(one, two)) {
      assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS)).cause().isInstanceOf(ReplicaCallException.class);
    }
  }

  @Test
  void aRunPastItsDeadlineOrWhoseCallerLeftIsNeverSent() throws Exception {
    SegmentBatcher b = batcher(8);
    b.submit(x(0), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> late = b.submit(x(1), OUTPUTS, Deadline.after(1, TimeUnit.NANOSECONDS));
    CompletableFuture<SegmentAnswer> gone = b.submit(x(2), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> kept = b.submit(x(3), OUTPUTS, in(10));
    gone.cancel(false);
    Thread.sleep(2);
    calls.get(0).answerDoubled();
    assertThatThrownBy(() -> late.get(1, TimeUnit.SECONDS)).cause().isInstanceOf(PoolQueueTimeoutException.class);
    assertThat(calls.get(1).inputs().get(0).floats()).containsExactly(3);
    calls.get(1).answerDoubled();
    assertThat(y(kept)).containsExactly(6);
  }

  @Test
  void aCallIsCancelledWhenEveryRunItCarriesIsGone() {
    SegmentBatcher b = batcher(8);
    b.submit(x(0), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> one = b.submit(x(1), OUTPUTS, in(10));
    CompletableFuture<SegmentAnswer> two = b.submit(x(2), OUTPUTS, in(10));
    calls.get(0).answerDoubled();
    Call stacked = calls.get(1);
    one.cancel(false);
    assertThat(stacked.answer()).isNotDone();
    two.cancel(false);
    assertThat(stacked.answer()).isCancelled();
  }

  @Test
  void runsTooLargeOrWithoutOneFirstDimensionGoAsTheyAre() {
    SegmentBatcher b = batcher(2);
    b.submit(x(0), OUTPUTS, in(10)); // takes the one call
    b.submit(x(1, 2, 3), OUTPUTS, in(10)); // more rows than a call carries
    b.submit(List.of(Tensor.ofFloats("x", new long[] {1, 1}, 1), Tensor.ofFloats("z", new long[] {2, 1}, 1, 2)),
        OUTPUTS, in(10)); // inputs that disagree on the rows
    assertThat(calls).hasSize(3);
    assertThat(b.waiting()).isZero();
  }
}
