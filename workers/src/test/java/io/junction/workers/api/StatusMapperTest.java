package io.junction.workers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.junction.tensor.TensorFormatException;
import io.junction.workers.repository.ModelConfigException;
import io.junction.workers.repository.UnknownModelException;
import io.junction.workers.runtime.DeviceUnavailableException;
import io.junction.workers.runtime.ModelExecutionException;
import io.junction.workers.runtime.ModelLoadException;
import io.junction.workers.runtime.UnsupportedDatatypeException;
import io.junction.workers.serving.CallAbandonedException;
import io.junction.workers.serving.InvalidInferRequestException;
import io.junction.workers.serving.ModelNotReadyException;
import io.junction.workers.serving.WorkerBusyException;
import io.junction.workers.serving.WorkerDrainingException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatusMapperTest {
  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(new TensorFormatException("x: bad"), Status.Code.INVALID_ARGUMENT),
        Arguments.of(new InvalidInferRequestException("x: bad"), Status.Code.INVALID_ARGUMENT),
        Arguments.of(new UnsupportedDatatypeException("x: BOOL"), Status.Code.INVALID_ARGUMENT),
        Arguments.of(new UnknownModelException("m", "loaded", List.of("a")), Status.Code.NOT_FOUND),
        Arguments.of(new ModelNotReadyException("m"), Status.Code.UNAVAILABLE),
        Arguments.of(new WorkerDrainingException("call"), Status.Code.UNAVAILABLE),
        Arguments.of(new WorkerBusyException(4, 4), Status.Code.RESOURCE_EXHAUSTED),
        Arguments.of(new CallAbandonedException(CallAbandonedException.Reason.DEADLINE_EXCEEDED), Status.Code.DEADLINE_EXCEEDED),
        Arguments.of(new CallAbandonedException(CallAbandonedException.Reason.CANCELLED), Status.Code.CANCELLED),
        Arguments.of(new ModelConfigException(Path.of("/r/m/model.yaml"), "name: x"), Status.Code.FAILED_PRECONDITION),
        Arguments.of(new ModelLoadException("m: cannot load"), Status.Code.FAILED_PRECONDITION),
        Arguments.of(new DeviceUnavailableException("device: gpu:0"), Status.Code.FAILED_PRECONDITION),
        Arguments.of(new ModelExecutionException("m: engine failed"), Status.Code.INTERNAL),
        Arguments.of(new CompletionException(new WorkerBusyException(1, 1)), Status.Code.RESOURCE_EXHAUSTED),
        Arguments.of(Status.ABORTED.withDescription("as is").asRuntimeException(), Status.Code.ABORTED),
        Arguments.of(new IllegalStateException("a bug"), Status.Code.INTERNAL));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void mapsEachErrorToTheCodeThatTellsTheClientWhatToDo(Throwable error, Status.Code code) {
    Status s = StatusMapper.toStatus(error);
    assertThat(s.getCode()).isEqualTo(code);
    if (error instanceof io.grpc.StatusRuntimeException e) {
      assertThat(s).isSameAs(e.getStatus());
      return;
    }
    Throwable root = error instanceof CompletionException ? error.getCause() : error;
    assertThat(s.getDescription()).contains(root.getMessage());
  }

  @Test
  void flowControlErrorsCarryNoStackTraceAndKeepTheirCodes() {
    WorkerBusyException busy = new WorkerBusyException(4, 4);
    WorkerDrainingException draining = new WorkerDrainingException("call");
    assertThat(busy.getStackTrace()).isEmpty();
    assertThat(draining.getStackTrace()).isEmpty();
    assertThat(StatusMapper.toStatus(busy).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(StatusMapper.toStatus(draining).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void aRunCancelledBecauseItsClientLeftIsCancelledNotInternal() {
    // SegmentApi cancels the run's future when its client cancels; dependent stages see it wrapped
    for (Throwable t : List.of(new CancellationException(), new CompletionException(new CancellationException()))) {
      Status s = StatusMapper.toStatus(t);
      assertThat(s.getCode()).as(t.toString()).isEqualTo(Status.Code.CANCELLED);
      assertThat(s.getDescription()).isEqualTo("call cancelled");
    }
  }
}
