package io.junction.orchestrator.pool;

import io.junction.tensor.Tensor;
import java.util.List;

/**
 * What a worker answered to a fused segment: its outputs, what each of its steps cost there,
 * and which replica ran it.
 */
public record SegmentReply(List<Tensor> outputs, List<StepTime> steps, String replica) {
  public SegmentReply {
    outputs = List.copyOf(outputs);
    steps = List.copyOf(steps);
  }

  public record StepTime(String step, long micros, int attempts) {}
}
