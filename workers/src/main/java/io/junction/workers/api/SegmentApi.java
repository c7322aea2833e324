package io.junction.workers.api;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.junction.engine.CompiledPipelines;
import io.junction.engine.IterationListener;
import io.junction.engine.PipelineResult;
import io.junction.engine.PlanCodec;
import io.junction.engine.SegmentPlan;
import io.junction.engine.StepLimit;
import io.junction.grpc.SegmentProtocol;
import io.junction.proto.v1.LoadPlansRequest;
import io.junction.proto.v1.LoadPlansResponse;
import io.junction.proto.v1.RunSegmentRequest;
import io.junction.proto.v1.SegmentEvent;
import io.junction.proto.v1.SegmentIteration;
import io.junction.proto.v1.SegmentOutput;
import io.junction.proto.v1.SegmentResult;
import io.junction.proto.v1.SegmentServiceGrpc;
import io.junction.proto.v1.StepTiming;
import io.junction.proto.v1.WorkerCall;
import io.junction.proto.v1.WorkerReply;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.workers.serving.FaultInjectedException;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.SegmentHost;
import io.junction.workers.serving.UnknownPlanException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code junction.v1.SegmentService} over a {@link SegmentHost}: thin. Decodes plans and tensors,
 * runs the engine, streams each output as soon as its step is done and each loop iteration as it
 * comes (when the caller asks for them), and the result last. A failure inside
 * the segment goes out with {@link SegmentProtocol}' trailer, so the orchestrator passes the
 * engine's message (naming the step) on as it is.
 */
public final class SegmentApi extends SegmentServiceGrpc.SegmentServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(SegmentApi.class);

  private final SegmentHost segments;
  private final ModelInferCalls calls;
  private final Set<CallStream> callStreams = ConcurrentHashMap.newKeySet();

  public SegmentApi(SegmentHost segments, ModelHost models) {
    this.segments = segments;
    this.calls = new ModelInferCalls(models);
  }

  /** Many ModelInfer calls on one stream: see {@link CallStream}. */
  @Override
  public StreamObserver<WorkerCall> calls(StreamObserver<WorkerReply> out) {
    CallStream stream = new CallStream(calls, out, callStreams::remove);
    callStreams.add(stream);
    return stream;
  }

  /** Ends every call stream once the calls open on it are answered (the worker is stopping). */
  void endCallStreams() {
    callStreams.forEach(CallStream::end);
  }

  @Override
  public void loadPlans(LoadPlansRequest request, StreamObserver<LoadPlansResponse> out) {
    try {
      List<SegmentPlan> plans = new ArrayList<>();
      for (io.junction.proto.v1.SegmentPlan m : request.getPlansList()) {
        plans.add(PlanCodec.fromMessage(m, ""));
      }
      out.onNext(LoadPlansResponse.newBuilder().addAllLoaded(segments.load(plans))
          .putAllBatchRows(segments.batchRows()).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toException(e));
    }
  }

  @Override
  public void runSegment(RunSegmentRequest request, StreamObserver<SegmentEvent> observer) {
    ServerCallStreamObserver<SegmentEvent> out = (ServerCallStreamObserver<SegmentEvent>) observer;
    // Set before anything is sent (gRPC's rule), so a run started below can always be stopped.
    AtomicReference<CompletableFuture<PipelineResult>> running = new AtomicReference<>();
    out.setOnCancelHandler(() -> {
      CompletableFuture<PipelineResult> r = running.get();
      if (r != null) {
        r.cancel(false);
      }
    });
    CompletableFuture<PipelineResult> run;
    try {
      if (request.getMaxIterations() < 0) {
        throw new io.junction.engine.PipelineInputException(
            "max_iterations: " + request.getMaxIterations() + " (expected: >= 0; 0 keeps the plan's)");
      }
      StepLimit steps = stepLimit(request);
      List<Tensor> inputs = TensorCodec.fromInputs(request.getInputsList(), request.getRawInputContentsList());
      Deadline deadline = Context.current().getDeadline();
      long timeout = deadline == null ? CompiledPipelines.NO_DEADLINE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
      IterationListener iterations = request.getSendIterations() ? new IterationListener() {
        @Override
        public void onIteration(String step, int index, List<Tensor> values) {
          send(out, SegmentEvent.newBuilder().setIteration(iteration(step, index, values)).build());
        }

        @Override
        public void onOutput(String output, Tensor value) {
          send(out, SegmentEvent.newBuilder().setOutput(SegmentOutput.newBuilder()
              .setOutput(TensorCodec.toRawOutputHeader(value)).setRawContents(value.data())).build());
        }
      } : IterationListener.NONE;
      run = segments.run(request.getPlanId(), inputs, request.getOutputsList(), request.getMaxIterations(), steps,
          timeout, iterations);
    } catch (UnknownPlanException | FaultInjectedException e) {
      // Not a failure inside the segment: this worker cannot run it (another replica may).
      out.onError(StatusMapper.toException(e));
      return;
    } catch (RuntimeException e) {
      out.onError(failure(request.getPlanId(), e));
      return;
    }
    running.set(run);
    if (out.isCancelled()) {
      run.cancel(false);
    }
    run.whenComplete((result, error) -> {
      try {
        if (error != null) {
          synchronized (out) {
            out.onError(failure(request.getPlanId(), error));
          }
          return;
        }
        send(out, SegmentEvent.newBuilder().setResult(result(result)).build());
        synchronized (out) {
          out.onCompleted();
        }
      } catch (RuntimeException e) {
        // The call was cancelled or closed meanwhile; nobody is left to answer.
        log.debug("Answer to segment {} not delivered: {}", request.getPlanId(), e.toString());
      }
    });
  }

  /** The run's step limit: none for max_steps 0 (a caller that sets none). */
  private static StepLimit stepLimit(RunSegmentRequest request) {
    int max = request.getMaxSteps();
    int before = request.getStepsBefore();
    if (max < 0 || before < 0 || (max > 0 && before > max)) {
      throw new io.junction.engine.PipelineInputException("max_steps: " + max + ", steps_before: " + before
          + " (expected: max_steps >= 0, 0 for no limit, and steps_before from 0 to max_steps)");
    }
    return max == 0 ? StepLimit.NONE : new StepLimit(max, before);
  }

  /** Loops of one segment may run at once, on model threads: one message on the wire at a time. */
  private static void send(ServerCallStreamObserver<SegmentEvent> out, SegmentEvent event) {
    synchronized (out) {
      if (!out.isCancelled()) {
        out.onNext(event);
      }
    }
  }

  private static io.grpc.StatusRuntimeException failure(String planId, Throwable error) {
    Status status = StatusMapper.toStatus(error);
    return status.asRuntimeException(SegmentProtocol.trailers(planId));
  }

  private static SegmentIteration iteration(String step, int index, List<Tensor> values) {
    SegmentIteration.Builder b = SegmentIteration.newBuilder().setStep(step).setIndex(index);
    for (Tensor t : values) {
      b.addValues(TensorCodec.toRawOutputHeader(t)).addRawValues(t.data());
    }
    return b.build();
  }

  private static SegmentResult result(PipelineResult r) {
    SegmentResult.Builder b = SegmentResult.newBuilder().setStepsExecuted(r.stepsExecuted());
    for (Tensor t : r.outputs()) {
      b.addOutputs(TensorCodec.toRawOutputHeader(t)).addRawOutputContents(t.data());
    }
    for (PipelineResult.StepTiming s : r.steps()) {
      b.addSteps(StepTiming.newBuilder().setStep(s.step()).setMicros(s.micros()).setAttempts(s.attempts()));
    }
    return b.build();
  }
}
