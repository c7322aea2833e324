package io.junction.workers.api;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.junction.engine.PipelineConfigException;
import io.junction.engine.PipelineInputException;
import io.junction.engine.PipelineStalledException;
import io.junction.engine.StepFailedException;
import io.junction.engine.StepLimitException;
import io.junction.engine.StepTimeoutException;
import io.junction.tensor.TensorFormatException;
import io.junction.workers.repository.ModelConfigException;
import io.junction.workers.repository.UnknownModelException;
import io.junction.workers.runtime.DeviceUnavailableException;
import io.junction.workers.runtime.ModelExecutionException;
import io.junction.workers.runtime.ModelLoadException;
import io.junction.workers.runtime.UnsupportedDatatypeException;
import io.junction.workers.serving.CallAbandonedException;
import io.junction.workers.serving.FaultInjectedException;
import io.junction.workers.serving.FaultInjectionRefusedException;
import io.junction.workers.serving.FaultSwitch;
import io.junction.workers.serving.InvalidInferRequestException;
import io.junction.workers.serving.ModelNotReadyException;
import io.junction.workers.serving.UnknownPlanException;
import io.junction.workers.serving.WorkerBusyException;
import io.junction.workers.serving.WorkerDrainingException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one map from the worker's typed exceptions to gRPC statuses. Codes say what the client
 * should do: INVALID_ARGUMENT fix the request; NOT_FOUND no such model here; UNAVAILABLE retry
 * (elsewhere); RESOURCE_EXHAUSTED back off; FAILED_PRECONDITION fix the repository or flags,
 * do not retry; INTERNAL our fault, logged. Rules are matched in order, subclasses first.
 */
public final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  private record Rule(Class<? extends Throwable> type, Function<Throwable, Status> status) {}

  private static final List<Rule> RULES = List.of(
      rule(TensorFormatException.class, Status.INVALID_ARGUMENT),
      rule(UnknownPlanException.class, Status.NOT_FOUND),
      // the pipeline engine, running a segment: a failed step's own error decides the code
      new Rule(StepFailedException.class, t -> Status.fromCode(
          t.getCause() == null ? Status.Code.INTERNAL : toStatus(t.getCause()).getCode()).withDescription(t.getMessage())),
      rule(StepTimeoutException.class, Status.DEADLINE_EXCEEDED),
      // the same request would pass the orchestrator's limits.max_steps_executed again
      rule(StepLimitException.class, Status.FAILED_PRECONDITION),
      rule(PipelineStalledException.class, Status.FAILED_PRECONDITION),
      rule(PipelineInputException.class, Status.INVALID_ARGUMENT),
      rule(PipelineConfigException.class, Status.INVALID_ARGUMENT),
      rule(InvalidInferRequestException.class, Status.INVALID_ARGUMENT),
      rule(UnsupportedDatatypeException.class, Status.INVALID_ARGUMENT),
      rule(UnknownModelException.class, Status.NOT_FOUND),
      rule(ModelNotReadyException.class, Status.UNAVAILABLE),
      rule(WorkerDrainingException.class, Status.UNAVAILABLE),
      rule(WorkerBusyException.class, Status.RESOURCE_EXHAUSTED),
      // test only: the fault a test asked for, INTERNAL included (not logged: nothing is wrong)
      new Rule(FaultInjectedException.class, t -> (((FaultInjectedException) t).fault()
          == FaultSwitch.Fault.INTERNAL ? Status.INTERNAL : Status.UNAVAILABLE)
          .withDescription(t.getMessage())),
      rule(FaultInjectionRefusedException.class, Status.FAILED_PRECONDITION),
      new Rule(CallAbandonedException.class, t -> (((CallAbandonedException) t).reason()
          == CallAbandonedException.Reason.DEADLINE_EXCEEDED ? Status.DEADLINE_EXCEEDED : Status.CANCELLED)
          .withDescription(t.getMessage())),
      rule(ModelConfigException.class, Status.FAILED_PRECONDITION),
      rule(ModelLoadException.class, Status.FAILED_PRECONDITION),
      rule(DeviceUnavailableException.class, Status.FAILED_PRECONDITION),
      rule(ModelExecutionException.class, Status.INTERNAL),
      // a run stopped because its client cancelled: nobody reads the status, and it is no error of ours
      new Rule(CancellationException.class, t -> Status.CANCELLED.withDescription("call cancelled")));

  private StatusMapper() {}

  private static Rule rule(Class<? extends Throwable> type, Status status) {
    return new Rule(type, t -> status.withDescription(t.getMessage()));
  }

  public static Status toStatus(Throwable error) {
    Throwable t = unwrap(error);
    if (t instanceof StatusRuntimeException e) {
      return e.getStatus();
    }
    if (t instanceof StatusException e) {
      return e.getStatus();
    }
    for (Rule r : RULES) {
      if (r.type().isInstance(t)) {
        Status s = r.status().apply(t);
        if (s.getCode() == Status.Code.INTERNAL && !(t instanceof FaultInjectedException)) {
          log.error("Internal error", t);
        }
        return s;
      }
    }
    log.error("Unexpected error", t);
    return Status.INTERNAL.withDescription("internal error: " + t.getClass().getSimpleName()
        + (t.getMessage() == null ? "" : ": " + t.getMessage())).withCause(t);
  }

  public static StatusRuntimeException toException(Throwable error) {
    return toStatus(error).asRuntimeException();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
