package io.junction.orchestrator.pool;

import io.grpc.Context;
import io.grpc.Deadline;
import io.junction.engine.ModelInvoker.SegmentAnswer;
import io.junction.orchestrator.admission.Priority;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorBatches;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Concurrent runs of one row-wise segment plan on one pool, sent as few worker calls as they
 * fit in: while {@code limit} calls of the plan are in flight, new runs wait here, and each
 * call that ends sends the waiting runs that can share a batch as one call, stacked along their
 * first dimension, whose outputs are cut back into each run's rows. The worker's per-model
 * batching works on the requests that reach it; this saves the per-request cost of everything
 * before that (a gRPC call each way, the worker's plan run) when the pool is busy, and adds
 * nothing when it is not: a run that finds a free call goes at once, alone.
 *
 * <p>Only plans the worker said work row by row come here ({@code LoadPlansResponse.batch_rows}),
 * so a stacked run answers each run as its own call would. A stacked call that fails in the
 * worker's steps is sent again run by run, so that one run's bad input fails only that run; a
 * refusal or a transport failure (no replica, deadline, UNAVAILABLE) is every run's answer.
 */
final class SegmentBatcher {
  /** Sends one call of the plan: the pool's own path, slot claim and release included. */
  interface Dispatch {
    CompletableFuture<SegmentAnswer> run(List<Tensor> inputs, List<String> outputs, Deadline deadline);
  }

  private final String pool;
  private final int maxRows;
  private final IntSupplier limit;
  private final Dispatch dispatch;
  private final ArrayDeque<Job> queue = new ArrayDeque<>();
  private int inFlight;

  /**
   * @param maxRows the most rows one call may carry (the plan's {@code batch_rows}, >= 2)
   * @param limit   calls of the plan that may be in flight before runs wait to be stacked (>= 1)
   */
  SegmentBatcher(String pool, int maxRows, IntSupplier limit, Dispatch dispatch) {
    if (maxRows < 2) {
      throw new IllegalArgumentException("maxRows: " + maxRows + " (expected: >= 2)");
    }
    this.pool = pool;
    this.maxRows = maxRows;
    this.limit = limit;
    this.dispatch = dispatch;
  }

  /** Runs the plan on these inputs: at once when a call is free, else with the next stacked call. */
  CompletableFuture<SegmentAnswer> submit(List<Tensor> inputs, List<String> outputs, Deadline deadline) {
    long rows = rows(inputs);
    if (rows < 1 || rows > maxRows) {
      return dispatch.run(inputs, outputs, deadline); // cannot share a call: goes as it is
    }
    Job job = new Job(inputs, outputs, deadline, rows, key(inputs, outputs), Context.current());
    boolean now;
    synchronized (this) {
      now = queue.isEmpty() && inFlight < Math.max(1, limit.getAsInt());
      if (now) {
        inFlight++;
      } else {
        queue.add(job);
      }
    }
    if (now) {
      send(List.of(job), false); // in the caller's own context, as a call without batching would be
    }
    return job.result;
  }

  /** Runs waiting now (for tests). */
  synchronized int waiting() {
    return queue.size();
  }

  /** The first dimension all inputs share, or -1 when they do not share one. */
  private static long rows(List<Tensor> inputs) {
    long rows = -1;
    for (Tensor t : inputs) {
      if (t.rank() == 0 || (rows >= 0 && t.dim(0) != rows)) {
        return -1;
      }
      rows = t.dim(0);
    }
    return rows;
  }

  /** Equal for two runs exactly when they can share a call: the same inputs past the first dimension, the same outputs. */
  private static String key(List<Tensor> inputs, List<String> outputs) {
    StringBuilder k = new StringBuilder(TensorBatches.compatibilityKey(inputs));
    for (Tensor t : inputs) {
      k.append(t.name()).append('\u0000');
    }
    k.append('|');
    for (String o : outputs) {
      k.append(o).append('\u0000');
    }
    return k.toString();
  }

  /**
   * Sends one call for {@code batch} (one slot of {@link #inFlight} is already counted for it).
   *
   * @param queued the runs waited: the call leaves in a fork of the first run's context (at the
   *     priority of its most urgent run), not in that of whichever call just ended, which may be
   *     cancelled by now; the runs' own cancellations reach the call through their results
   */
  private void send(List<Job> batch, boolean queued) {
    Context context = queued ? priorityOf(batch).in(batch.get(0).context.fork()) : Context.current();
    start(context, batch, () -> batch.size() == 1 ? sendAlone(batch.get(0)) : sendStacked(batch))
        .whenComplete((answer, error) -> {
          callEnded();
          if (batch.size() == 1) {
            complete(batch.get(0), answer, error);
          } else {
            answerEach(batch, answer, error);
          }
        });
  }

  /**
   * Interactive when any run of a stacked call is: the call then claims its slot as interactive
   * work does, never held back by batch's share of a replica behind the interactive rows it carries.
   */
  private static Priority priorityOf(List<Job> runs) {
    for (Job j : runs) {
      if (Priority.currentOrInteractive(j.context) == Priority.INTERACTIVE) {
        return Priority.INTERACTIVE;
      }
    }
    return Priority.BATCH;
  }

  /**
   * Starts a call for {@code runs} in {@code context}; a call that throws instead of failing its
   * future fails all the same. A call nobody waits for any more goes: else it holds its slot
   * until the worker answers.
   */
  private static CompletableFuture<SegmentAnswer> start(Context context, List<Job> runs,
      Supplier<CompletableFuture<SegmentAnswer>> call) {
    CompletableFuture<SegmentAnswer> started;
    Context previous = context.attach();
    try {
      started = call.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    } finally {
      context.detach(previous);
    }
    CompletableFuture<SegmentAnswer> sent = started;
    AtomicInteger live = new AtomicInteger(runs.size());
    for (Job j : runs) {
      j.result.whenComplete((v, t) -> {
        if (live.decrementAndGet() == 0 && !sent.isDone()) {
          sent.cancel(false);
        }
      });
    }
    return sent;
  }

  private CompletableFuture<SegmentAnswer> sendAlone(Job job) {
    return dispatch.run(job.inputs, job.outputs, job.deadline);
  }

  private CompletableFuture<SegmentAnswer> sendStacked(List<Job> batch) {
    int n = batch.get(0).inputs.size();
    List<Tensor> stacked = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<Tensor> parts = new ArrayList<>(batch.size());
      for (Job j : batch) {
        parts.add(j.inputs.get(i));
      }
      stacked.add(TensorBatches.stack(parts));
    }
    Deadline latest = batch.get(0).deadline;
    for (Job j : batch) {
      if (latest != null && (j.deadline == null || latest.isBefore(j.deadline))) {
        latest = j.deadline;
      }
    }
    return dispatch.run(stacked, batch.get(0).outputs, latest);
  }

  private void answerEach(List<Job> batch, SegmentAnswer answer, Throwable error) {
    if (error != null) {
      error = unwrap(error);
      if (error instanceof SegmentFailedInWorkerException) {
        batch.forEach(this::resendAlone); // one run's input may be at fault: each gets its own answer
      } else {
        for (Job j : batch) {
          j.result.completeExceptionally(error);
        }
      }
      return;
    }
    long[] rows = new long[batch.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = batch.get(i).rows;
    }
    List<List<Tensor>> pieces = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      pieces.add(new ArrayList<>(answer.outputs().size()));
    }
    try {
      for (Tensor out : answer.outputs()) {
        List<Tensor> cut = TensorBatches.split(out, rows);
        for (int i = 0; i < cut.size(); i++) {
          pieces.get(i).add(cut.get(i));
        }
      }
    } catch (IllegalArgumentException e) {
      // An output not in rows after all (a model.yaml that says it batches but does not): each
      // run's own answer is still right.
      batch.forEach(this::resendAlone);
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      // a row-wise plan's steps each ran once, for every row alike
      batch.get(i).result.complete(new SegmentAnswer(pieces.get(i), answer.steps(), answer.ranOn(),
          answer.stepsExecuted()));
    }
  }

  /** Sends a run of a failed stacked call on its own, outside the limit: rare, and never queued twice. */
  private void resendAlone(Job job) {
    if (!job.result.isDone()) {
      start(job.context.fork(), List.of(job), () -> sendAlone(job))
          .whenComplete((answer, error) -> complete(job, answer, error));
    }
  }

  private static void complete(Job job, SegmentAnswer answer, Throwable error) {
    if (error != null) {
      job.result.completeExceptionally(unwrap(error));
    } else {
      job.result.complete(answer);
    }
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }

  /** A call ended: its slot goes to the runs waiting, stacked, while the limit allows. */
  private void callEnded() {
    List<List<Job>> toSend = new ArrayList<>(1);
    List<Job> expired = new ArrayList<>();
    synchronized (this) {
      inFlight--;
      while (inFlight < Math.max(1, limit.getAsInt())) {
        List<Job> batch = take(expired);
        if (batch.isEmpty()) {
          break;
        }
        inFlight++;
        toSend.add(batch);
      }
    }
    for (Job j : expired) {
      j.result.completeExceptionally(new PoolQueueTimeoutException(pool,
          "waited to share a call of its segment with other requests"));
    }
    toSend.forEach(b -> send(b, true));
  }

  /**
   * Takes the oldest live run and those waiting that can share its call, in arrival order, up to
   * {@link #maxRows} rows. Runs whose caller is gone are dropped; runs past their deadline go to
   * {@code expired}.
   */
  private List<Job> take(List<Job> expired) {
    List<Job> batch = new ArrayList<>();
    long rows = 0;
    String key = null;
    for (Iterator<Job> it = queue.iterator(); it.hasNext() && rows < maxRows; ) {
      Job j = it.next();
      if (j.result.isDone()) {
        it.remove();
      } else if (j.deadline != null && j.deadline.isExpired()) {
        it.remove();
        expired.add(j);
      } else if ((key == null || key.equals(j.key)) && rows + j.rows <= maxRows) {
        it.remove();
        key = j.key;
        rows += j.rows;
        batch.add(j);
      }
    }
    return batch;
  }

  private static final class Job {
    final List<Tensor> inputs;
    final List<String> outputs;
    final Deadline deadline;
    final long rows;
    final String key;
    final Context context;
    final CompletableFuture<SegmentAnswer> result = new CompletableFuture<>();

    Job(List<Tensor> inputs, List<String> outputs, Deadline deadline, long rows, String key, Context context) {
      this.inputs = inputs;
      this.outputs = outputs;
      this.deadline = deadline;
      this.rows = rows;
      this.key = key;
      this.context = context;
    }
  }
}
