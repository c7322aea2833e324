package io.junction.workers.api;

import static io.junction.workers.api.Requests.floats;
import static io.junction.workers.api.Requests.shape;
import static io.junction.workers.api.Requests.typed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.proto.v1.InjectFaultRequest;
import io.junction.proto.v1.InjectFaultResponse;
import io.junction.workers.testing.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test-only fault switch: refused by a production worker, obeyed by one that allows it. */
class FaultInjectionTest {
  @TempDir static Path repo;
  static InProcessWorker allowing;
  static InProcessWorker production;

  @BeforeAll
  static void start() throws Exception {
    TestModels.buildRepository(repo);
    allowing = new InProcessWorker(repo, List.of("scale"), true);
    production = new InProcessWorker(repo, List.of("scale"), false);
  }

  @AfterAll
  static void stop() {
    if (allowing != null) {
      allowing.close();
    }
    if (production != null) {
      production.close();
    }
  }

  private static InjectFaultRequest fault(InjectFaultRequest.Fault f) {
    return InjectFaultRequest.newBuilder().setFault(f).build();
  }

  private static void inferFailsWith(InProcessWorker w, Status.Code code) {
    assertThatThrownBy(() -> w.inference().modelInfer(typed("scale", floats("x", shape(1, 2), 1f, 2f))))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).contains("fault injected");
        });
  }

  @Test
  void aWorkerNotStartedForFaultsRefusesTheSwitchAndSaysHowToAllowIt() {
    assertThatThrownBy(() -> production.control().injectFault(fault(InjectFaultRequest.Fault.UNAVAILABLE)))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("--allow-fault-injection");
        });
    assertThat(production.inference().modelInfer(typed("scale", floats("x", shape(1, 2), 1f, 2f))).getOutputsCount())
        .isPositive();
  }

  @Test
  void theSwitchFailsEveryInferenceWithTheFaultAskedForUntilTurnedOff() {
    InjectFaultResponse on = allowing.control().injectFault(fault(InjectFaultRequest.Fault.UNAVAILABLE));
    assertThat(on.getPrevious()).isEqualTo(InjectFaultRequest.Fault.NONE);
    inferFailsWith(allowing, Status.Code.UNAVAILABLE);
    inferFailsWith(allowing, Status.Code.UNAVAILABLE);

    allowing.control().injectFault(fault(InjectFaultRequest.Fault.INTERNAL));
    inferFailsWith(allowing, Status.Code.INTERNAL);

    InjectFaultResponse off = allowing.control().injectFault(fault(InjectFaultRequest.Fault.NONE));
    assertThat(off.getPrevious()).isEqualTo(InjectFaultRequest.Fault.INTERNAL);
    assertThat(off.getFailedCalls()).isEqualTo(3);
    assertThat(allowing.inference().modelInfer(typed("scale", floats("x", shape(1, 2), 1f, 2f))).getOutputsCount())
        .isPositive();
  }
}
