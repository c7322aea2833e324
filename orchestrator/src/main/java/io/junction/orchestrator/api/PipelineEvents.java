package io.junction.orchestrator.api;

import io.junction.engine.IterationListener;
import io.junction.proto.v1.PipelineIteration;
import io.junction.proto.v1.RunPipelineEvent;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.util.List;
import java.util.function.Consumer;

/**
 * RunStream's events before its result: what a run tells its listener, with typed contents, handed
 * to the call's sink as it comes. FP16 values have no typed contents and are left out (a requested
 * FP16 output then fails the result as it fails Run). Holds nothing: each event goes out at once.
 */
final class PipelineEvents implements IterationListener {
  private final Consumer<RunPipelineEvent> sink;

  PipelineEvents(Consumer<RunPipelineEvent> sink) {
    this.sink = sink;
  }

  @Override
  public void onOutput(String output, Tensor value) {
    if (value.datatype() != DataType.FP16) {
      sink.accept(RunPipelineEvent.newBuilder().setOutput(TensorCodec.toOutput(value)).build());
    }
  }

  @Override
  public void onIteration(String step, int iteration, List<Tensor> values) {
    PipelineIteration.Builder b = PipelineIteration.newBuilder().setStep(step).setIndex(iteration);
    for (Tensor t : values) {
      if (t.datatype() != DataType.FP16) {
        b.addValues(TensorCodec.toOutput(t));
      }
    }
    sink.accept(RunPipelineEvent.newBuilder().setIteration(b).build());
  }
}
