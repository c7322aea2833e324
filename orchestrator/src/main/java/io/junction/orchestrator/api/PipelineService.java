package io.junction.orchestrator.api;

import io.grpc.stub.StreamObserver;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineResult;
import io.junction.engine.RunOptions;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.StepTiming;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * {@code junction.v1.PipelineService}: runs any named pipeline on the client's tensors and
 * answers with typed contents, whole ({@code Run}) or as it is produced ({@code RunStream}, whose
 * events {@link PipelineEvents} makes). Tensor limits are {@link TensorLimits}', other tensor
 * checks the codec's, input matching the pipeline's.
 */
public final class PipelineService extends PipelineServiceGrpc.PipelineServiceImplBase {
  private final Pipelines pipelines;
  private final ApiLimits limits;
  private final TensorLimits tensorLimits;

  public PipelineService(Pipelines pipelines, ApiLimits limits) {
    this.pipelines = Objects.requireNonNull(pipelines);
    this.limits = Objects.requireNonNull(limits);
    this.tensorLimits = new TensorLimits(limits);
  }

  @Override
  public void run(RunPipelineRequest request, StreamObserver<RunPipelineResponse> observer) {
    Calls.respond(observer, () -> startRun(request, IterationListener.NONE), PipelineService::toResponse);
  }

  @Override
  public void runStream(RunPipelineRequest request, StreamObserver<RunPipelineEvent> observer) {
    Calls.stream(observer, events -> Calls.thenApply(startRun(request, new PipelineEvents(events)),
        result -> RunPipelineEvent.newBuilder().setResult(toResponse(result)).build()));
  }

  /** The one translation of a request into a run, for Run and RunStream alike. */
  private CompletableFuture<PipelineResult> startRun(RunPipelineRequest request, IterationListener listener) {
    if (request.getPipeline().isEmpty()) {
      throw new InvalidRequestException("pipeline: empty (expected: the name of a pipeline, as ListPipelines lists them)");
    }
    tensorLimits.check(request.getInputsList(), request.getRawInputContentsList());
    List<Tensor> inputs = TensorCodec.fromInputs(request.getInputsList(), request.getRawInputContentsList());
    RunOptions options = new RunOptions(request.getOutputsList(), OptionalInt.empty())
        .withAffinityKey(SessionIds.check(request.getSessionId()));
    return pipelines.run(request.getPipeline(), inputs, options, Calls.deadline(limits.defaultDeadline()), listener);
  }

  private static RunPipelineResponse toResponse(PipelineResult result) {
    RunPipelineResponse.Builder b = RunPipelineResponse.newBuilder().setPipeline(result.pipeline());
    for (Tensor t : result.outputs()) {
      if (t.datatype() == DataType.FP16) {
        throw new InvalidRequestException(t.name() + ": FP16 output has no typed contents (expected: run the "
            + "pipeline with inference.GRPCInferenceService/ModelInfer, which answers with raw contents)");
      }
      b.addOutputs(TensorCodec.toOutput(t));
    }
    for (PipelineResult.StepTiming s : result.steps()) {
      b.addSteps(StepTiming.newBuilder().setStep(s.step()).setMicros(s.micros()).setAttempts(s.attempts())
          .setSegment(s.segment()).setRanOn(s.ranOn()));
    }
    return b.build();
  }
}
