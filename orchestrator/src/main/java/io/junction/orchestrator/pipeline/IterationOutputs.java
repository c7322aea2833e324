package io.junction.orchestrator.pipeline;

import io.junction.engine.PipelineSpec;
import io.junction.engine.StepSpec;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which of a pipeline's outputs a loop iteration carries, so that a caller that streams a run can
 * answer each iteration in the pipeline's own terms: the demo's {@code tokens} output reads
 * {@code reply.next_token}, so each iteration of the {@code reply} loop carries one token of
 * {@code tokens}. The engine hands iterations on by step and collected output name; this turns
 * them into pipeline outputs. Immutable; built once per pipeline.
 */
public final class IterationOutputs {
  /** For a pipeline none of whose outputs a loop collects, or a name that is not a pipeline. */
  public static final IterationOutputs NONE = new IterationOutputs(List.of());

  private final List<PipelineSpec.Output> outputs;

  private IterationOutputs(List<PipelineSpec.Output> outputs) {
    this.outputs = List.copyOf(outputs);
  }

  /** The outputs of the pipeline that read a loop step's collected values. */
  public static IterationOutputs of(PipelineSpec pipeline) {
    Set<String> loops = pipeline.steps().stream()
        .filter(s -> s.kind() instanceof StepSpec.Loop)
        .map(StepSpec::name)
        .collect(Collectors.toSet());
    return new IterationOutputs(pipeline.outputs().stream().filter(o -> loops.contains(o.from().step())).toList());
  }

  /** Outputs known to read loop steps' collected values (a pipeline's fake in tests, say). */
  public static IterationOutputs reading(List<PipelineSpec.Output> loopOutputs) {
    return new IterationOutputs(loopOutputs);
  }

  /** Whether any iteration can carry one of the requested outputs (empty: all); if not, nothing need stream. */
  public boolean carriesAny(List<String> requested) {
    return outputs.stream().anyMatch(o -> requested.isEmpty() || requested.contains(o.name()));
  }

  /**
   * One iteration's values as the requested pipeline outputs that read them, in the pipeline's
   * output order, each renamed after its output (shapes as the loop gave them: first dimension
   * 1). Empty when the iteration carries none of them.
   *
   * @param step      the loop step, as {@link io.junction.engine.IterationListener} names it
   * @param values    the iteration's collected values, named after the loop's collect outputs
   * @param requested the outputs the caller asked for; empty means all
   */
  public List<Tensor> select(String step, List<Tensor> values, List<String> requested) {
    List<Tensor> out = new ArrayList<>(1);
    for (PipelineSpec.Output o : outputs) {
      if (!o.from().step().equals(step) || !(requested.isEmpty() || requested.contains(o.name()))) {
        continue;
      }
      for (Tensor v : values) {
        if (v.name().equals(o.from().tensor())) {
          out.add(v.withName(o.name()));
          break;
        }
      }
    }
    return out;
  }
}
