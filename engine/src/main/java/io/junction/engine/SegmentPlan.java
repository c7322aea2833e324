package io.junction.engine;

import java.util.List;
import java.util.Objects;

/**
 * A fused segment as the workers of its group get it: a pipeline of its own, whose inputs are
 * what the segment reads from outside it ({@code input.<name>}, {@code session.<key>} and
 * {@code <step>.<output>} references, by their text) and whose outputs are what the rest of the
 * pipeline reads from it ({@code <step>.<output>}). A worker compiles it with the same compiler
 * and runs it with the same engine, never fusing further.
 *
 * @param id    unique for the plan's content: a changed plan gets a new id
 * @param group the pool whose workers run it
 */
public record SegmentPlan(String id, String group, PipelineSpec spec) {
  public SegmentPlan {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(spec, "spec");
  }

  public List<String> steps() {
    return spec.steps().stream().map(StepSpec::name).toList();
  }
}
