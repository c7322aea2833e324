package io.junction.engine;

import io.junction.engine.StepSpec.Binding;
import io.junction.engine.StepSpec.Loop;
import io.junction.engine.StepSpec.Merge;
import io.junction.engine.StepSpec.ModelCall;
import io.junction.engine.StepSpec.Switch;
import io.junction.tensor.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The compiler's segment phase: after names, references and types are checked, it cuts a
 * pipeline into fused segments ({@link Segmenter} decides which steps) and writes each one's
 * plan, a pipeline of its own whose references to outside the segment become its inputs and
 * whose values read from outside become its outputs.
 */
final class SegmentPlanner {

  /**
   * A segment of the pipeline: its steps, its inputs (references it reads from outside it, in
   * order) and its outputs (references the rest of the pipeline reads from it, as text).
   */
  record FusedSegment(SegmentPlan plan, List<String> steps, List<TensorRef> inputs, List<String> outputs) {}

  private final PipelineSpec spec;
  private final List<String> topo;
  private final Function<String, StepSpec> steps;
  /** Output specs of each step, by step name. */
  private final Map<String, ? extends Map<String, TensorSpec>> produced;
  private final Map<String, String> controllerOf;
  private final Placement placement;

  SegmentPlanner(PipelineSpec spec, List<String> topo, Function<String, StepSpec> steps,
      Map<String, ? extends Map<String, TensorSpec>> produced, Map<String, String> controllerOf, Placement placement) {
    this.spec = spec;
    this.topo = topo;
    this.steps = steps;
    this.produced = produced;
    this.controllerOf = controllerOf;
    this.placement = placement;
  }

  /** Cuts the pipeline ({@link Segmenter}) and writes each segment's plan. */
  List<FusedSegment> plan() {
    Map<String, Segmenter.StepNode> graph = new LinkedHashMap<>();
    Map<String, Set<String>> controls = new HashMap<>();
    controllerOf.forEach((step, sw) -> controls.computeIfAbsent(sw, k -> new LinkedHashSet<>()).add(step));
    for (String name : topo) {
      StepSpec step = steps.apply(name);
      Set<String> data = new LinkedHashSet<>();
      PipelineCompiler.references(step).values().stream().filter(TensorRef::isStepOutput).forEach(r -> data.add(r.step()));
      Segmenter.Kind kind;
      String group = null;
      if (step.kind() instanceof ModelCall || step.kind() instanceof Loop) {
        kind = Segmenter.Kind.MODEL;
        String model = step.kind() instanceof ModelCall c ? c.model() : ((Loop) step.kind()).model();
        // A step with a fallback stays out of segments: its fallback runs from here, on another
        // model that may live elsewhere, after the step's own attempts are spent.
        group = placement.canFuse(model) && step.fallback().isEmpty() ? placement.group(model) : null;
      } else if (step.kind() instanceof Switch) {
        kind = Segmenter.Kind.SWITCH;
      } else {
        kind = ((Merge) step.kind()).mode() == Merge.Mode.CONCAT ? Segmenter.Kind.CONCAT : Segmenter.Kind.FIRST_OF;
      }
      List<Set<String>> branches = new ArrayList<>();
      boolean exhaustive = false;
      if (step.kind() instanceof Switch sw) {
        sw.cases().forEach(c -> branches.add(Set.copyOf(c.steps())));
        exhaustive = !sw.defaultSteps().isEmpty();
        if (exhaustive) {
          branches.add(Set.copyOf(sw.defaultSteps()));
        }
      }
      graph.put(name, new Segmenter.StepNode(name, kind, group, data, controllerOf.get(name),
          controls.getOrDefault(name, Set.of()), branches, exhaustive));
    }
    Set<String> readByPipeline = new HashSet<>();
    spec.outputs().stream().filter(o -> o.from().isStepOutput()).forEach(o -> readByPipeline.add(o.from().step()));
    List<FusedSegment> out = new ArrayList<>();
    for (Segmenter.Cut cut : Segmenter.cut(topo, graph, readByPipeline)) {
      out.add(segment(out.size(), cut));
    }
    return out;
  }

  /** The plan of one cut: a pipeline of its own, whose references to outside become its inputs. */
  private FusedSegment segment(int number, Segmenter.Cut cut) {
    Set<String> inside = new HashSet<>(cut.steps());
    Map<String, TensorRef> inputs = new LinkedHashMap<>();
    List<StepSpec> planSteps = new ArrayList<>();
    for (String name : cut.steps()) {
      StepSpec step = steps.apply(name);
      planSteps.add(rewrite(step, ref -> {
        if (ref.isStepOutput() && inside.contains(ref.step())) {
          return ref;
        }
        // a pipeline input, a session value or another step's output: an input of the segment's plan
        inputs.putIfAbsent(ref.toString(), ref);
        return new TensorRef(TensorRef.INPUT, ref.toString());
      }));
    }
    // What the rest of the pipeline reads from the segment, in step order.
    Set<String> readOutside = new HashSet<>();
    for (StepSpec step : spec.steps()) {
      if (!inside.contains(step.name())) {
        PipelineCompiler.references(step).values().forEach(r -> readOutside.add(r.toString()));
      }
    }
    spec.outputs().forEach(o -> readOutside.add(o.from().toString()));
    List<String> outputs = new ArrayList<>();
    List<PipelineSpec.Output> planOutputs = new ArrayList<>();
    for (String name : cut.steps()) {
      for (String tensor : produced.get(name).keySet()) {
        String ref = name + "." + tensor;
        if (readOutside.contains(ref)) {
          outputs.add(ref);
          planOutputs.add(new PipelineSpec.Output(ref, new TensorRef(name, tensor)));
        }
      }
    }
    List<TensorSpec> planInputs = new ArrayList<>();
    for (Map.Entry<String, TensorRef> e : inputs.entrySet()) {
      TensorSpec t = PipelineCompiler.typeOf(spec, produced, e.getValue());
      planInputs.add(new TensorSpec(e.getKey(), t.datatype(), t.shape()));
    }
    PipelineSpec planSpec = new PipelineSpec(spec.name(), planInputs, planOutputs, planSteps, false);
    String id = spec.name() + "/" + number + "-" + fingerprint(cut.group() + "\n" + planSpec);
    return new FusedSegment(new SegmentPlan(id, cut.group(), planSpec), cut.steps(),
        List.copyOf(inputs.values()), List.copyOf(outputs));
  }


  /** Eight hex digits of SHA-256: a plan's id changes when its content does. */
  private static String fingerprint(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The same step with every reference mapped. */
  private static StepSpec rewrite(StepSpec step, UnaryOperator<TensorRef> map) {
    StepSpec.Kind kind = step.kind();
    StepSpec.Kind mapped;
    if (kind instanceof ModelCall c) {
      mapped = new ModelCall(c.model(), c.inputs().stream().map(b -> new Binding(b.input(), map.apply(b.from()))).toList());
    } else if (kind instanceof Loop l) {
      mapped = new Loop(l.model(), l.inputs().stream().map(b -> new Binding(b.input(), map.apply(b.from()))).toList(),
          l.feedback(), l.collect(), l.until(), l.maxIterations(), l.iteration());
    } else if (kind instanceof Switch sw) {
      mapped = new Switch(map.apply(sw.on()), sw.cases(), sw.defaultSteps());
    } else {
      Merge m = (Merge) kind;
      mapped = new Merge(m.mode(), m.from().stream().map(map).toList(), m.axis(), m.output());
    }
    return new StepSpec(step.name(), step.timeout(), step.retries(), mapped);
  }
}
