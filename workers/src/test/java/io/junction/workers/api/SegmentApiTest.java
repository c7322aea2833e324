package io.junction.workers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.engine.PipelineSpec;
import io.junction.engine.PlanCodec;
import io.junction.engine.SegmentPlan;
import io.junction.engine.StepSpec;
import io.junction.engine.TensorRef;
import io.junction.grpc.SegmentProtocol;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.v1.LoadPlansRequest;
import io.junction.proto.v1.LoadPlansResponse;
import io.junction.proto.v1.RunSegmentRequest;
import io.junction.proto.v1.SegmentEvent;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.StepTiming;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.tensor.TensorSpec;
import io.junction.workers.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SegmentService over a real ModelHost and the real engine: plans load, run and fail as the orchestrator expects. */
class SegmentApiTest {
  @TempDir
  static Path repository;
  private static InProcessWorker worker;

  /** scale twice: y = 4x, through two model calls inside the worker. */
  private static final SegmentPlan TWICE = new SegmentPlan("p/0-test", "pool", new PipelineSpec("p",
      List.of(new TensorSpec("input.x", DataType.FP32, List.of(-1L, 2L))),
      List.of(new PipelineSpec.Output("s2.y", TensorRef.parse("s2.y"))),
      List.of(
          StepSpec.model("s1", "scale", List.of(new StepSpec.Binding("x", TensorRef.parse("input.input.x")))),
          StepSpec.model("s2", "scale", List.of(new StepSpec.Binding("x", TensorRef.parse("s1.y"))))),
      false));

  @BeforeAll
  static void start() throws Exception {
    TestModels.buildRepository(repository);
    worker = new InProcessWorker(repository, List.of("scale", "text"));
    segments().loadPlans(LoadPlansRequest.newBuilder().addPlans(PlanCodec.toMessage(TWICE)).build());
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private static SegmentServiceGrpc.SegmentServiceBlockingStub segments() {
    return SegmentServiceGrpc.newBlockingStub(worker.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static RunSegmentRequest request(String plan, Tensor x) {
    return RunSegmentRequest.newBuilder().setPlanId(plan)
        .addInputs(TensorCodec.toRawInputHeader(x)).addRawInputContents(x.data()).build();
  }

  private static List<SegmentEvent> events(RunSegmentRequest request) {
    List<SegmentEvent> out = new ArrayList<>();
    Iterator<SegmentEvent> it = segments().runSegment(request);
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void aLoadedPlanRunsItsStepsInTheWorkerAndAnswersWithTheirTimings() {
    Tensor x = Tensor.ofFloats("input.x", new long[] {2, 2}, 1f, 2f, 3f, -4f);
    List<SegmentEvent> events = events(request(TWICE.id(), x));
    assertThat(events).hasSize(1);
    SegmentEvent last = events.get(0);
    assertThat(last.hasResult()).isTrue();
    List<Tensor> outputs = TensorCodec.fromOutputs(last.getResult().getOutputsList(),
        last.getResult().getRawOutputContentsList());
    assertThat(outputs).extracting(Tensor::name).containsExactly("s2.y");
    assertThat(outputs.get(0).floats()).containsExactly(4f, 8f, 12f, -16f);
    assertThat(last.getResult().getStepsList()).extracting(StepTiming::getStep).containsExactly("s1", "s2");
  }

  @Test
  void loadingAPlanTwiceKeepsItAndListsWhatIsLoaded() {
    assertThat(segments().loadPlans(LoadPlansRequest.newBuilder().addPlans(PlanCodec.toMessage(TWICE)).build())
        .getLoadedList()).contains(TWICE.id());
  }

  @Test
  void aPlanOfBatchingModelsWithAFreeFirstDimensionIsSaidToWorkRowByRow() {
    SegmentPlan lower = textPlan("l/0-test", -1L);
    SegmentPlan fixed = textPlan("f/0-test", 1L);
    LoadPlansResponse loaded = segments().loadPlans(LoadPlansRequest.newBuilder()
        .addPlans(PlanCodec.toMessage(lower)).addPlans(PlanCodec.toMessage(fixed)).build());
    assertThat(loaded.getLoadedList()).contains(lower.id(), fixed.id(), TWICE.id());
    // text batches, up to its max_batch_size of 4; scale does not batch, and a plan input of
    // one row cannot carry stacked requests.
    assertThat(loaded.getBatchRowsMap()).containsEntry(lower.id(), 4).doesNotContainKeys(fixed.id(), TWICE.id());
  }

  private static SegmentPlan textPlan(String id, long firstDimension) {
    return new SegmentPlan(id, "pool", new PipelineSpec(id.substring(0, 1),
        List.of(new TensorSpec("input.text", DataType.BYTES, List.of(firstDimension))),
        List.of(new PipelineSpec.Output("t.lower", TensorRef.parse("t.lower"))),
        List.of(StepSpec.model("t", "text", List.of(new StepSpec.Binding("text", TensorRef.parse("input.input.text"))))),
        false));
  }

  @Test
  void aPlanThatIsNotLoadedIsNotFoundWithoutTheSegmentTrailer() {
    assertThatThrownBy(() -> events(request("nope/0-x", Tensor.ofFloats("input.x", new long[] {1, 2}, 1f, 2f))))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).startsWith("plan_id: \"nope/0-x\" is not loaded on this worker");
          assertThat(SegmentProtocol.isSegmentFailure(e.getTrailers())).isFalse();
        });
  }

  @Test
  void aPlanThatDoesNotCompileHereIsInvalidArgumentNamingPlanAndStep() {
    SegmentPlan unknownModel = new SegmentPlan("q/0-test", "pool", new PipelineSpec("q", TWICE.spec().inputs(),
        List.of(new PipelineSpec.Output("s1.y", TensorRef.parse("s1.y"))),
        List.of(StepSpec.model("s1", "nope", List.of(new StepSpec.Binding("x", TensorRef.parse("input.input.x"))))),
        false));
    assertThatThrownBy(() -> segments().loadPlans(
        LoadPlansRequest.newBuilder().addPlans(PlanCodec.toMessage(unknownModel)).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("plan q/0-test: pipeline q, step s1: model: \"nope\"");
        });
  }

  @Test
  void aSegmentCountsItsStepsTowardTheRunsLimitAndStopsAtTheStepThatWouldPassIt() {
    Tensor x = Tensor.ofFloats("input.x", new long[] {1, 2}, 1f, 2f);
    RunSegmentRequest.Builder limited = request(TWICE.id(), x).toBuilder().setMaxSteps(5).setStepsBefore(3);
    assertThat(events(limited.build()).get(0).getResult().getStepsExecuted()).as("s1 and s2").isEqualTo(2);
    assertThatThrownBy(() -> events(limited.setStepsBefore(4).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).isEqualTo("pipeline p, step s2: steps executed: 6 (expected: <= 5,"
              + " each loop iteration counted; limits.max_steps_executed in the config)");
          assertThat(SegmentProtocol.isSegmentFailure(e.getTrailers())).isTrue();
        });
    assertThatThrownBy(() -> events(limited.setStepsBefore(6).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("max_steps: 5, steps_before: 6 (expected:");
        });
  }

  @Test
  void aFailureInsideTheSegmentNamesTheStepAndCarriesTheTrailer() {
    // Nine rows pass the plan's input ([-1, 2]) but not the model's max_batch_size of 8.
    Tensor nine = Tensor.ofFloats("input.x", new long[] {9, 2}, new float[18]);
    assertThatThrownBy(() -> events(request(TWICE.id(), nine)))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("pipeline p, step s1: ");
          assertThat(SegmentProtocol.isSegmentFailure(e.getTrailers())).isTrue();
        });
  }

  @Test
  void aCallerThatStreamsGetsEachOutputAsSoonAsItsStepIsDoneThenTheResult() {
    SegmentPlan both = new SegmentPlan("b/0-test", "pool", new PipelineSpec("b", TWICE.spec().inputs(),
        List.of(new PipelineSpec.Output("s1.y", TensorRef.parse("s1.y")),
            new PipelineSpec.Output("s2.y", TensorRef.parse("s2.y"))),
        TWICE.spec().steps(), false));
    segments().loadPlans(LoadPlansRequest.newBuilder().addPlans(PlanCodec.toMessage(both)).build());
    Tensor x = Tensor.ofFloats("input.x", new long[] {1, 2}, 1f, -2f);

    List<SegmentEvent> streamed = events(request(both.id(), x).toBuilder().setSendIterations(true).build());
    assertThat(streamed).extracting(e -> e.getEventCase().name()).containsExactly("OUTPUT", "OUTPUT", "RESULT");
    // s1's output goes out before s2 runs: the order the steps finish in, each value as the result has it.
    List<Tensor> early = streamed.subList(0, 2).stream().map(e -> TensorCodec.fromOutputs(
        List.of(e.getOutput().getOutput()), List.of(e.getOutput().getRawContents())).get(0)).toList();
    assertThat(early).extracting(Tensor::name).containsExactly("s1.y", "s2.y");
    assertThat(early.get(0).floats()).containsExactly(2f, -4f);
    assertThat(early.get(1).floats()).containsExactly(4f, -8f);
    assertThat(events(request(both.id(), x))).extracting(e -> e.getEventCase().name()).containsExactly("RESULT");
  }

  @Test
  void serverMetadataSaysTheWorkerRunsSegments() {
    assertThat(worker.inference().serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensionsList())
        .contains(SegmentProtocol.EXTENSION);
  }
}
