package io.junction.orchestrator.api;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.junction.engine.PipelineInputException;
import io.junction.engine.PipelineStalledException;
import io.junction.engine.SegmentFailedException;
import io.junction.engine.StepFailedException;
import io.junction.engine.StepLimitException;
import io.junction.engine.StepTimeoutException;
import io.junction.engine.UnknownPipelineException;
import io.junction.orchestrator.admission.AdmissionRejectedException;
import io.junction.orchestrator.admission.InvalidPriorityException;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.orchestrator.pool.PoolException;
import io.junction.orchestrator.pool.PoolQueueTimeoutException;
import io.junction.orchestrator.pool.PoolSaturatedException;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.orchestrator.pool.ReplicaDrainRefusedException;
import io.junction.orchestrator.pool.RetryBudgetSpentException;
import io.junction.orchestrator.pool.SegmentFailedInWorkerException;
import io.junction.orchestrator.pool.UnknownModelException;
import io.junction.orchestrator.pool.UnknownReplicaException;
import io.junction.orchestrator.session.UnknownSessionException;
import io.junction.tensor.TensorFormatException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where errors become gRPC statuses. Codes are chosen by what the client should
 * do: INVALID_ARGUMENT and NOT_FOUND fix the request, UNAVAILABLE retry, DEADLINE_EXCEEDED and
 * RESOURCE_EXHAUSTED back off. INTERNAL is kept for our own bugs, and those are logged here.
 *
 * <p>The table is searched in order and the first type that matches wins, so subclasses come
 * before their superclasses (a test checks that no rule hides a later one).
 */
public final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  /** A worker's codes that say something true to our client; any other becomes UNAVAILABLE. */
  private static final Set<Status.Code> KEPT_REPLICA_CODES = EnumSet.of(
      Status.Code.INVALID_ARGUMENT,
      Status.Code.NOT_FOUND,
      Status.Code.RESOURCE_EXHAUSTED,
      Status.Code.DEADLINE_EXCEEDED,
      Status.Code.UNAVAILABLE,
      Status.Code.CANCELLED);

  private record Rule<T extends Throwable>(Class<T> type, Function<? super T, Status> map) {
    Status apply(Throwable t) {
      return map.apply(type.cast(t));
    }
  }

  private static final List<Rule<?>> RULES = List.of(
      new Rule<>(StatusRuntimeException.class, StatusRuntimeException::getStatus),
      new Rule<>(StatusException.class, StatusException::getStatus),
      new Rule<>(InvalidRequestException.class, e -> code(Status.INVALID_ARGUMENT, e)),
      new Rule<>(InvalidPriorityException.class, e -> code(Status.INVALID_ARGUMENT, e)),
      new Rule<>(UnknownNameException.class, e -> code(Status.NOT_FOUND, e)),
      // a configured limit on what the server holds open: back off
      new Rule<>(CapacityLimitException.class, e -> code(Status.RESOURCE_EXHAUSTED, e)),
      // refused at the door, before anything ran: back off and retry
      new Rule<>(AdmissionRejectedException.class, e -> code(Status.RESOURCE_EXHAUSTED, e)),
      new Rule<>(UnknownSessionException.class, e -> code(Status.NOT_FOUND, e)),
      // shutting down: the call should go to another orchestrator
      new Rule<>(ServerDrainingException.class, e -> code(Status.UNAVAILABLE, e)),
      // pipeline package, subclasses of PipelineException
      new Rule<>(StepFailedException.class, StatusMapper::stepFailed),
      // a fused segment failed inside its worker, whose message names the step
      new Rule<>(SegmentFailedException.class, StatusMapper::segmentFailed),
      new Rule<>(StepTimeoutException.class, e -> code(Status.DEADLINE_EXCEEDED, e)),
      // past limits.max_steps_executed: the same request would pass it again
      new Rule<>(StepLimitException.class, e -> code(Status.FAILED_PRECONDITION, e)),
      new Rule<>(UnknownPipelineException.class, e -> code(Status.NOT_FOUND, e)),
      // outputs missing because a switch skipped their steps: the same request fails again
      new Rule<>(PipelineStalledException.class, e -> code(Status.FAILED_PRECONDITION, e)),
      new Rule<>(PipelineInputException.class, e -> code(Status.INVALID_ARGUMENT, e)),
      // pool package, subclasses of PoolException
      new Rule<>(UnknownModelException.class, e -> code(Status.NOT_FOUND, e)),
      new Rule<>(UnknownReplicaException.class, e -> code(Status.NOT_FOUND, e)),
      new Rule<>(ReplicaDrainRefusedException.class, e -> code(Status.FAILED_PRECONDITION, e)),
      new Rule<>(NoReadyReplicaException.class, e -> code(Status.UNAVAILABLE, e)),
      // every READY replica full: capacity, so back off rather than retry at once
      new Rule<>(PoolSaturatedException.class, e -> code(Status.RESOURCE_EXHAUSTED, e)),
      new Rule<>(PoolQueueTimeoutException.class, e -> code(Status.DEADLINE_EXCEEDED, e)),
      new Rule<>(ReplicaCallException.class, StatusMapper::replicaCall),
      new Rule<>(SegmentFailedInWorkerException.class, e -> segmentCode(e.status()).withDescription(e.getMessage())),
      // the failure it did not retry decides the code; the message says why it was not retried
      new Rule<>(RetryBudgetSpentException.class,
          e -> Status.fromCode(toStatus(e.getCause()).getCode()).withDescription(e.getMessage())),
      // a pool error added after this table: the pool could not serve, so retrying is right
      new Rule<>(PoolException.class, e -> code(Status.UNAVAILABLE, e)),
      // a client's tensor that does not match what it claims (subclass of IllegalArgumentException,
      // which is deliberately absent: it also means our own bugs)
      new Rule<>(TensorFormatException.class, e -> code(Status.INVALID_ARGUMENT, e)),
      new Rule<>(CancellationException.class, e -> Status.CANCELLED.withDescription("call cancelled")),
      new Rule<>(TimeoutException.class, e -> code(Status.DEADLINE_EXCEEDED, e)));

  private StatusMapper() {}

  /** The status for an error, after unwrapping the wrappers futures add. */
  public static Status toStatus(Throwable error) {
    Throwable t = unwrap(error);
    for (Rule<?> rule : RULES) {
      if (rule.type().isInstance(t)) {
        return rule.apply(t);
      }
    }
    log.error("internal error, mapped to INTERNAL", t);
    return Status.INTERNAL
        .withDescription("internal error (see the orchestrator's log): " + t.getClass().getSimpleName()
            + (t.getMessage() == null ? "" : ": " + t.getMessage()))
        .withCause(t);
  }

  /** {@link #toStatus} as the exception a StreamObserver takes. */
  public static StatusRuntimeException toException(Throwable error) {
    return toStatus(error).asRuntimeException();
  }

  /** The rule types in search order, for the test that checks the order. */
  static List<Class<? extends Throwable>> ruleOrder() {
    return RULES.stream().<Class<? extends Throwable>>map(Rule::type).toList();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static Status code(Status status, Throwable e) {
    return status.withDescription(e.getMessage());
  }

  /** The cause decides the code; the step's message (naming pipeline and step) is the description. */
  private static Status stepFailed(StepFailedException e) {
    Status cause = e.getCause() == null ? Status.INTERNAL : toStatus(e.getCause());
    return Status.fromCode(cause.getCode()).withDescription(e.getMessage()).withCause(e.getCause());
  }

  private static Status segmentFailed(SegmentFailedException e) {
    Status code = e.getCause() instanceof SegmentFailedInWorkerException w ? segmentCode(w.status()) : Status.INTERNAL;
    return code.withDescription(e.getMessage());
  }

  /**
   * A segment's own failure keeps its code, FAILED_PRECONDITION included (outputs a switch
   * skipped inside it); INTERNAL and the like mean that replica failed: another may serve.
   */
  private static Status segmentCode(Status worker) {
    Status.Code code = worker.getCode();
    return KEPT_REPLICA_CODES.contains(code) || code == Status.Code.FAILED_PRECONDITION
        ? Status.fromCode(code) : Status.UNAVAILABLE;
  }

  private static Status replicaCall(ReplicaCallException e) {
    Status.Code code = e.status().getCode();
    return KEPT_REPLICA_CODES.contains(code)
        ? Status.fromCode(code).withDescription(e.getMessage())
        // INTERNAL, UNKNOWN, FAILED_PRECONDITION... of a worker: that replica failed; another may serve
        : Status.UNAVAILABLE.withDescription(e.getMessage());
  }
}
