package io.junction.engine;

import io.junction.engine.Plan.Feed;
import io.junction.engine.Plan.Node;
import io.junction.engine.Plan.Slot;
import io.junction.engine.SegmentPlanner.FusedSegment;
import io.junction.engine.StepSpec.Binding;
import io.junction.engine.StepSpec.Case;
import io.junction.engine.StepSpec.Loop;
import io.junction.engine.StepSpec.Merge;
import io.junction.engine.StepSpec.ModelCall;
import io.junction.engine.StepSpec.Switch;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns pipeline specs into immutable {@link Plan}s, checking everything that can be checked
 * without data against the models' signatures: names, references, cycles, which model inputs
 * are fed, datatypes and shapes between producer and consumer, and the wiring of switches,
 * merges and loops. Runs once at start; a run never validates its plan again.
 */
final class PipelineCompiler {
  private final PipelineSpec spec;
  private final Map<String, ModelSignature> models;
  private final Map<String, Integer> declared = new LinkedHashMap<>();
  /** Output specs of each step, by step name, filled in topological order. */
  private final Map<String, LinkedHashMap<String, TensorSpec>> produced = new HashMap<>();
  /** The node each step runs in: its own, or its segment's. */
  private final Map<String, Integer> order = new HashMap<>();
  private final Placement placement;
  /** For each fused step, its segment. */
  private final Map<String, FusedSegment> fusedIn = new HashMap<>();
  /** Which switch's branches name a step. */
  private final Map<String, String> controllerOf = new HashMap<>();
  /** The outputs of each step that some step, switch or pipeline output reads. */
  private final Map<String, Set<String>> used = new HashMap<>();
  /** Index in the plan's inputs of each declared input, then of each session value read. */
  private final Map<String, Integer> inputIndex = new LinkedHashMap<>();
  /** Tensor names of the session values some step or output reads ({@link SessionInputs}). */
  private final Set<String> sessionRead = new HashSet<>();

  private PipelineCompiler(PipelineSpec spec, Map<String, ModelSignature> models, Placement placement) {
    this.spec = spec;
    this.models = models;
    this.placement = placement;
  }

  static Map<String, Plan> compileAll(List<PipelineSpec> specs, Map<String, ModelSignature> signatures, Placement placement) {
    Map<String, ModelSignature> models = Map.copyOf(signatures);
    Map<String, Plan> plans = new LinkedHashMap<>();
    for (PipelineSpec spec : specs) {
      if (plans.containsKey(spec.name())) {
        throw new PipelineConfigException("pipeline " + spec.name() + ": name given twice (expected: unique pipeline names)");
      }
      plans.put(spec.name(), new PipelineCompiler(spec, models, placement).compile());
    }
    return plans;
  }

  /** Compiles one pipeline; for tests of the compiler alone. */
  static Plan compileOne(PipelineSpec spec, Map<String, ModelSignature> models) {
    return compileOne(spec, models, Placement.NONE);
  }

  /** Compiles one pipeline with a placement; for tests of the compiler alone. */
  static Plan compileOne(PipelineSpec spec, Map<String, ModelSignature> models, Placement placement) {
    return new PipelineCompiler(spec, models, placement).compile();
  }

  private Plan compile() {
    String p = spec.name();
    if (p.isEmpty()) {
      throw new PipelineConfigException("pipeline: empty name (expected: a name)");
    }
    for (TensorSpec in : spec.inputs()) {
      if (inputIndex.put(in.name(), inputIndex.size()) != null) {
        throw pipelineError("inputs: " + in.name() + " given twice (expected: unique input names)");
      }
    }
    Map<Integer, Tensor> defaults = checkDefaults();
    if (spec.outputs().isEmpty()) {
      throw pipelineError("outputs: none (expected: at least one output)");
    }
    if (spec.steps().isEmpty()) {
      throw pipelineError("steps: none (expected: at least one step)");
    }
    for (int i = 0; i < spec.steps().size(); i++) {
      String name = spec.steps().get(i).name();
      if (name.isEmpty() || name.contains(".") || TensorRef.INPUT.equals(name) || TensorRef.SESSION.equals(name)) {
        throw pipelineError("steps[" + i + "].name: \"" + name
            + "\" (expected: a name without dots, other than \"input\" and \"session\")");
      }
      if (declared.put(name, i) != null) {
        throw pipelineError("steps[" + i + "].name: " + name + " given twice (expected: unique step names)");
      }
    }

    Map<String, Set<String>> deps = new LinkedHashMap<>();
    for (StepSpec step : spec.steps()) {
      deps.put(step.name(), dependencies(step, inputIndex.keySet()));
    }
    for (StepSpec step : spec.steps()) {
      if (step.kind() instanceof Switch sw) {
        for (String controlled : branchSteps(step, sw)) {
          deps.get(controlled).add(step.name());
        }
      }
    }
    List<String> topo = topologicalOrder(deps);

    for (String name : topo) {
      StepSpec step = spec.steps().get(declared.get(name));
      produced.put(name, outputsOf(step));
    }
    Map<String, Integer> outputIndex = new LinkedHashMap<>();
    List<TensorSpec> outputSpecs = new ArrayList<>();
    for (PipelineSpec.Output out : spec.outputs()) {
      if (outputIndex.put(out.name(), outputIndex.size()) != null) {
        throw pipelineError("outputs: " + out.name() + " given twice (expected: unique output names)");
      }
      TensorSpec from = resolve(null, "outputs." + out.name(), out.from());
      outputSpecs.add(new TensorSpec(out.name(), from.datatype(), from.shape()));
    }
    for (String name : topo) {
      StepSpec step = spec.steps().get(declared.get(name));
      if (!(step.kind() instanceof Switch) && used.getOrDefault(name, Set.of()).isEmpty()) {
        throw stepError(name, "no step or pipeline output uses its outputs "
            + produced.get(name).keySet() + " (expected: remove the step or use it)");
      }
      if (step.fallback().isPresent()) {
        checkFallbackOutputs(step);
      }
    }
    List<TensorSpec> planInputs = new ArrayList<>(spec.inputs());
    for (String session : SessionInputs.names()) {
      if (!sessionRead.contains(session)) {
        continue;
      }
      if (inputIndex.putIfAbsent(session, planInputs.size()) != null) {
        throw pipelineError("inputs: " + session + ": the name of a session value this pipeline reads (expected:"
            + " another name; session values are given by the caller's session and need no declaration)");
      }
      planInputs.add(SessionInputs.spec(session).orElseThrow());
    }

    // ---- phase 3: fused segments, then the plan's nodes in an order of the condensed graph ----
    List<FusedSegment> segments = spec.fuse()
        ? new SegmentPlanner(spec, topo, name -> spec.steps().get(declared.get(name)), produced, controllerOf, placement)
            .plan()
        : List.of();
    segments.forEach(seg -> seg.steps().forEach(st -> fusedIn.put(st, seg)));
    List<Object> units = units(topo, segments, deps);
    for (int i = 0; i < units.size(); i++) {
      if (units.get(i) instanceof FusedSegment seg) {
        for (String step : seg.steps()) {
          order.put(step, i);
        }
      } else {
        order.put((String) units.get(i), i);
      }
    }
    List<Node> nodes = new ArrayList<>();
    for (Object unit : units) {
      nodes.add(unit instanceof FusedSegment seg
          ? segmentNode(seg) : node(spec.steps().get(declared.get((String) unit))));
    }
    List<Plan.Output> outputs = new ArrayList<>();
    for (int i = 0; i < spec.outputs().size(); i++) {
      PipelineSpec.Output out = spec.outputs().get(i);
      outputs.add(new Plan.Output(out.name(), slot(out.from()), outputSpecs.get(i)));
    }
    PipelineDescription description = new PipelineDescription(p, spec.inputs(), outputSpecs, topo,
        segments.stream().map(s -> new PipelineDescription.Segment(s.plan().id(), s.plan().group(), s.steps())).toList());
    return new Plan(p, List.copyOf(planInputs), spec.inputs().size(), defaults, Map.copyOf(inputIndex), List.copyOf(outputs),
        Map.copyOf(outputIndex),
        List.copyOf(nodes), description, segments.stream().map(FusedSegment::plan).toList());
  }

  /** Each default names a declared input and fits it: its datatype, and its shape where the input's is fixed. */
  private Map<Integer, Tensor> checkDefaults() {
    Map<Integer, Tensor> out = new HashMap<>();
    for (Map.Entry<String, Tensor> d : spec.defaults().entrySet()) {
      Integer index = inputIndex.get(d.getKey());
      if (index == null) {
        throw pipelineError("inputs: default for " + d.getKey() + " (expected: a default of a declared input: "
            + String.join(", ", inputIndex.keySet()) + ")");
      }
      TensorSpec in = spec.inputs().get(index);
      Tensor t = d.getValue();
      List<Long> shape = Arrays.stream(t.shape()).boxed().toList();
      if (t.datatype() != in.datatype() || !fits(shape, in.shape())) {
        throw pipelineError("inputs." + in.name() + ".default: " + t.datatype() + " " + shape(shape) + " (expected: "
            + describe(in) + ", the input's own datatype and shape)");
      }
      out.put(index, t.withName(in.name()));
    }
    return Map.copyOf(out);
  }

  // ---- phase 1: names and references ----

  private Set<String> dependencies(StepSpec step, Set<String> inputs) {
    Set<String> out = new LinkedHashSet<>();
    for (Map.Entry<String, TensorRef> e : references(step).entrySet()) {
      TensorRef ref = e.getValue();
      if (ref.isPipelineInput()) {
        if (!inputs.contains(ref.tensor())) {
          throw stepError(step.name(), e.getKey() + ": \"" + ref + "\" (expected: a pipeline input: "
              + String.join(", ", inputs) + ")");
        }
      } else if (ref.isSession()) {
        session(step.name(), e.getKey(), ref);
      } else if (!declared.containsKey(ref.step())) {
        throw stepError(step.name(), e.getKey() + ": \"" + ref + "\" (expected: input.<name> or <step>.<output>"
            + " with step one of: " + String.join(", ", declared.keySet()) + ")");
      } else {
        out.add(ref.step());
      }
    }
    return out;
  }

  /** Every reference of a step, keyed by where it is written (for messages). */
  static Map<String, TensorRef> references(StepSpec step) {
    Map<String, TensorRef> refs = new LinkedHashMap<>();
    if (step.kind() instanceof ModelCall call) {
      call.inputs().forEach(b -> refs.putIfAbsent("inputs." + b.input(), b.from()));
      step.fallback().ifPresent(fb -> fb.inputs().forEach(b -> refs.putIfAbsent("fallback.inputs." + b.input(), b.from())));
    } else if (step.kind() instanceof Loop loop) {
      loop.inputs().forEach(b -> refs.putIfAbsent("loop.inputs." + b.input(), b.from()));
    } else if (step.kind() instanceof Switch sw) {
      refs.put("switch.on", sw.on());
    } else if (step.kind() instanceof Merge merge) {
      String key = merge.mode() == Merge.Mode.CONCAT ? "merge.concat" : "merge.first_of";
      for (int i = 0; i < merge.from().size(); i++) {
        refs.put(key + "[" + i + "]", merge.from().get(i));
      }
    }
    return refs;
  }

  private Set<String> branchSteps(StepSpec step, Switch sw) {
    Set<String> all = new LinkedHashSet<>();
    for (int c = 0; c < sw.cases().size(); c++) {
      checkBranch(step, "switch.cases[" + c + "].steps", sw.cases().get(c).steps(), all);
    }
    checkBranch(step, "switch.default", sw.defaultSteps(), all);
    return all;
  }

  private void checkBranch(StepSpec step, String where, List<String> names, Set<String> all) {
    for (String name : names) {
      if (!declared.containsKey(name) || name.equals(step.name())) {
        throw stepError(step.name(), where + ": \"" + name + "\" (expected: another step of this pipeline: "
            + declared.keySet().stream().filter(n -> !n.equals(step.name())).collect(Collectors.joining(", ")) + ")");
      }
      String other = controllerOf.putIfAbsent(name, step.name());
      if (other != null && !other.equals(step.name())) {
        throw stepError(step.name(), where + ": \"" + name + "\" is already in a branch of switch " + other
            + " (expected: each step in the branches of one switch at most)");
      }
      all.add(name);
    }
  }

  /** Kahn's algorithm, taking steps in the order written when several are ready; names a cycle if there is one. */
  private List<String> topologicalOrder(Map<String, Set<String>> deps) {
    List<String> topo = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    while (topo.size() < deps.size()) {
      String next = null;
      for (Map.Entry<String, Set<String>> e : deps.entrySet()) {
        if (!placed.contains(e.getKey()) && placed.containsAll(e.getValue())) {
          next = e.getKey();
          break;
        }
      }
      if (next == null) {
        throw pipelineError("steps form a cycle: " + String.join(" -> ", findCycle(deps, placed))
            + " (expected: each step to use only earlier steps' outputs)");
      }
      placed.add(next);
      topo.add(next);
    }
    return topo;
  }

  private static List<String> findCycle(Map<String, Set<String>> deps, Set<String> placed) {
    // Every unplaced step waits on some unplaced step: walk those edges until a step repeats.
    List<String> path = new ArrayList<>();
    String at = deps.keySet().stream().filter(s -> !placed.contains(s)).findFirst().orElseThrow();
    while (!path.contains(at)) {
      path.add(at);
      at = deps.get(at).stream().filter(s -> !placed.contains(s)).findFirst().orElseThrow();
    }
    List<String> cycle = new ArrayList<>(path.subList(path.indexOf(at), path.size()));
    cycle.add(at);
    // Written as "producer -> consumer": reverse the wait-for walk.
    java.util.Collections.reverse(cycle);
    return cycle;
  }

  // ---- phase 2: types, in topological order ----

  private LinkedHashMap<String, TensorSpec> outputsOf(StepSpec step) {
    LinkedHashMap<String, TensorSpec> out = new LinkedHashMap<>();
    if (step.fallback().isPresent() && !(step.kind() instanceof ModelCall)) {
      throw stepError(step.name(), "fallback: given for a step that calls no model once (expected: only a model step"
          + " may name a fallback)");
    }
    if (step.kind() instanceof ModelCall call) {
      ModelSignature sig = model(step, "model", call.model());
      checkFeeds(step, "inputs", sig, call.inputs(), null);
      sig.outputs().forEach(t -> out.put(t.name(), t));
      if (step.fallback().isPresent()) {
        StepSpec.Fallback fb = step.fallback().get();
        checkFeeds(step, fb.inputs().isEmpty() ? "fallback (fed the step's inputs)" : "fallback.inputs",
            model(step, "fallback.model", fb.model()), fallbackInputs(call, fb), null);
      }
    } else if (step.kind() instanceof Switch sw) {
      checkSwitch(step, sw);
    } else if (step.kind() instanceof Merge merge) {
      TensorSpec merged = checkMerge(step, merge);
      out.put(merge.output(), merged);
    } else if (step.kind() instanceof Loop loop) {
      for (TensorSpec t : checkLoop(step, loop)) {
        out.put(t.name(), t);
      }
    }
    return out;
  }

  private static List<Binding> fallbackInputs(ModelCall call, StepSpec.Fallback fb) {
    return fb.inputs().isEmpty() ? call.inputs() : fb.inputs();
  }

  /**
   * A fallback stands in for its step: it must give every output that the pipeline reads from
   * the step, of the datatype and shape the step's model gives (what the readers were checked
   * against). Known only once every reader is compiled.
   */
  private void checkFallbackOutputs(StepSpec step) {
    StepSpec.Fallback fb = step.fallback().orElseThrow();
    ModelCall call = (ModelCall) step.kind();
    ModelSignature sig = models.get(fb.model());
    Map<String, TensorSpec> gives = new LinkedHashMap<>();
    sig.outputs().forEach(t -> gives.put(t.name(), t));
    for (String read : used.getOrDefault(step.name(), Set.of())) {
      TensorSpec want = produced.get(step.name()).get(read);
      TensorSpec have = gives.get(read);
      String expected = " (expected: the outputs the pipeline reads from this step as model " + call.model()
          + " gives them: " + used.get(step.name()).stream()
              .map(o -> o + " " + describe(produced.get(step.name()).get(o))).collect(Collectors.joining(", ")) + ")";
      if (have == null) {
        throw stepError(step.name(), "fallback.model: " + fb.model() + " has no output " + read
            + " (it gives: " + String.join(", ", gives.keySet()) + ")" + expected);
      }
      if (have.datatype() != want.datatype() || !fits(have.shape(), want.shape())) {
        throw stepError(step.name(), "fallback.model: " + fb.model() + "'s output " + read + " is "
            + describe(have) + expected);
      }
    }
  }

  private ModelSignature model(StepSpec step, String where, String model) {
    ModelSignature sig = models.get(model);
    if (sig == null) {
      throw stepError(step.name(), where + ": \"" + model + "\" (expected: a model of some pool: "
          + String.join(", ", new TreeSet<>(models.keySet())) + ")");
    }
    return sig;
  }

  private void checkFeeds(StepSpec step, String where, ModelSignature sig, List<Binding> feeds, String feedbackInput) {
    checkFeeds(step, where, sig, feeds, feedbackInput, null);
  }

  /** {@code feedbackInput} and {@code iterationInput} (null for none) are fed by the loop itself. */
  private void checkFeeds(StepSpec step, String where, ModelSignature sig, List<Binding> feeds, String feedbackInput,
      String iterationInput) {
    Map<String, TensorSpec> inputs = new LinkedHashMap<>();
    sig.inputs().forEach(t -> inputs.put(t.name(), t));
    Set<String> fed = new HashSet<>();
    for (Binding b : feeds) {
      TensorSpec want = inputs.get(b.input());
      if (want == null) {
        throw stepError(step.name(), where + "." + b.input() + ": not an input of model " + sig.name() + sig.origin()
            + " (expected one of: " + String.join(", ", inputs.keySet()) + ")");
      }
      if (b.input().equals(feedbackInput) || b.input().equals(iterationInput) || !fed.add(b.input())) {
        throw stepError(step.name(), where + "." + b.input() + ": fed twice"
            + (b.input().equals(feedbackInput) ? " (by the loop's feedback too)" : "")
            + (b.input().equals(iterationInput) ? " (by the loop's iteration number too)" : "")
            + " (expected: each model input fed once)");
      }
      TensorSpec have = resolve(step.name(), where + "." + b.input(), b.from());
      checkFits(step, where + "." + b.input(), b.from(), have, want,
          "model " + sig.name() + "'s input " + want.name() + sig.origin());
    }
    for (TensorSpec want : sig.inputs()) {
      if (!fed.contains(want.name()) && !want.name().equals(feedbackInput) && !want.name().equals(iterationInput)) {
        throw stepError(step.name(), where + "." + want.name() + ": not fed (expected: a reference for model "
            + sig.name() + "'s input " + want.name() + " " + describe(want) + sig.origin() + ")");
      }
    }
  }

  private void checkFits(StepSpec step, String where, TensorRef ref, TensorSpec have, TensorSpec want, String what) {
    if (have.datatype() != want.datatype()) {
      throw stepError(step.name(), where + ": " + ref + " is " + have.datatype()
          + " (expected: " + want.datatype() + ", " + what + ")");
    }
    if (!fits(have.shape(), want.shape())) {
      throw stepError(step.name(), where + ": " + ref + " has shape " + shape(have.shape())
          + " (expected: " + shape(want.shape()) + ", " + what + "; -1 matches any size)");
    }
  }

  private void checkSwitch(StepSpec step, Switch sw) {
    TensorSpec on = resolve(step.name(), "switch.on", sw.on());
    boolean integer = isInteger(on.datatype());
    if (!integer && on.datatype() != DataType.BYTES) {
      throw stepError(step.name(), "switch.on: " + sw.on() + " is " + on.datatype()
          + " (expected: an integer or BYTES tensor)");
    }
    if (!oneElementPerRow(on.shape(), 0)) {
      throw stepError(step.name(), "switch.on: " + sw.on() + " has shape " + shape(on.shape())
          + " (expected: one element, like [1] or [-1])");
    }
    if (sw.cases().isEmpty()) {
      throw stepError(step.name(), "switch.cases: none (expected: at least one case)");
    }
    Set<String> seen = new HashSet<>();
    for (int c = 0; c < sw.cases().size(); c++) {
      String value = caseValue(step, "switch.cases[" + c + "].equals", sw.cases().get(c).equals(), on, sw.on());
      if (!seen.add(value)) {
        throw stepError(step.name(), "switch.cases[" + c + "].equals: " + value + " given twice (expected: each value once)");
      }
    }
  }

  private String caseValue(StepSpec step, String where, String text, TensorSpec on, TensorRef ref) {
    if (!isInteger(on.datatype())) {
      return text;
    }
    try {
      return Long.toString(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      throw stepError(step.name(), where + ": \"" + text + "\" (expected: an integer, " + ref + " is " + on.datatype() + ")");
    }
  }

  private TensorSpec checkMerge(StepSpec step, Merge merge) {
    String key = merge.mode() == Merge.Mode.CONCAT ? "merge.concat" : "merge.first_of";
    if (merge.output().isEmpty()) {
      throw stepError(step.name(), "merge.output: empty (expected: the merged tensor's name)");
    }
    if (merge.from().size() < 2) {
      throw stepError(step.name(), key + ": " + merge.from().size() + " reference(s) (expected: at least 2)");
    }
    TensorRef firstRef = merge.from().get(0);
    TensorSpec first = resolve(step.name(), key + "[0]", firstRef);
    int rank = first.shape().size();
    if (merge.mode() == Merge.Mode.CONCAT && (merge.axis() < 0 || merge.axis() >= rank)) {
      throw stepError(step.name(), "merge.axis: " + merge.axis() + " (expected: 0 to " + (rank - 1)
          + " for " + firstRef + " of shape " + shape(first.shape()) + ")");
    }
    List<Long> merged = new ArrayList<>(first.shape());
    for (int i = 1; i < merge.from().size(); i++) {
      TensorRef ref = merge.from().get(i);
      TensorSpec t = resolve(step.name(), key + "[" + i + "]", ref);
      if (t.datatype() != first.datatype()) {
        throw stepError(step.name(), key + "[" + i + "]: " + ref + " is " + t.datatype()
            + " (expected: " + first.datatype() + " like " + firstRef + ")");
      }
      if (t.shape().size() != rank) {
        throw stepError(step.name(), key + "[" + i + "]: " + ref + " has shape " + shape(t.shape())
            + " (expected: rank " + rank + " like " + firstRef + " " + shape(first.shape()) + ")");
      }
      for (int d = 0; d < rank; d++) {
        long a = merged.get(d);
        long b = t.shape().get(d);
        if (merge.mode() == Merge.Mode.CONCAT && d == merge.axis()) {
          merged.set(d, a < 0 || b < 0 ? -1L : a + b);
        } else if (a >= 0 && b >= 0 && a != b) {
          throw stepError(step.name(), key + "[" + i + "]: " + ref + " has shape " + shape(t.shape())
              + " (expected: dimension " + d + " of " + a + " like " + firstRef + " " + shape(first.shape())
              + (merge.mode() == Merge.Mode.CONCAT ? ", all dimensions but the axis equal" : "") + ")");
        } else if (a < 0) {
          merged.set(d, merge.mode() == Merge.Mode.FIRST_OF ? -1L : b);
        } else if (b < 0 && merge.mode() == Merge.Mode.FIRST_OF) {
          merged.set(d, -1L);
        }
      }
    }
    return new TensorSpec(merge.output(), first.datatype(), merged);
  }

  private List<TensorSpec> checkLoop(StepSpec step, Loop loop) {
    ModelSignature sig = model(step, "loop.model", loop.model());
    Map<String, TensorSpec> ins = new LinkedHashMap<>();
    sig.inputs().forEach(t -> ins.put(t.name(), t));
    Map<String, TensorSpec> outs = new LinkedHashMap<>();
    sig.outputs().forEach(t -> outs.put(t.name(), t));
    StepSpec.Feedback fb = loop.feedback();

    TensorSpec fbIn = ins.get(fb.input());
    if (fbIn == null) {
      throw stepError(step.name(), "loop.feedback.input: \"" + fb.input() + "\" (expected: an input of model "
          + sig.name() + ": " + String.join(", ", ins.keySet()) + ")");
    }
    if (fb.window() < 1) {
      throw stepError(step.name(), "loop.feedback.window: " + fb.window() + " (expected: >= 1)");
    }
    if (!isInteger(fbIn.datatype()) || fbIn.shape().size() != 2
        || (fbIn.shape().get(1) >= 0 && fbIn.shape().get(1) != fb.window())) {
      throw stepError(step.name(), "loop.feedback.input: model " + sig.name() + "'s input " + fb.input() + " is "
          + describe(fbIn) + " (expected: an integer tensor of shape [-1, " + fb.window() + "], the window)");
    }
    TensorSpec fbOut = outs.get(fb.output());
    if (fbOut == null) {
      throw stepError(step.name(), "loop.feedback.output: \"" + fb.output() + "\" (expected: an output of model "
          + sig.name() + ": " + String.join(", ", outs.keySet()) + ")");
    }
    if (fbOut.datatype() != fbIn.datatype() || !oneElementPerRow(fbOut.shape(), 1)) {
      throw stepError(step.name(), "loop.feedback.output: model " + sig.name() + "'s output " + fb.output() + " is "
          + describe(fbOut) + " (expected: " + fbIn.datatype() + " with one element per row, like [-1], to feed "
          + fb.input() + ")");
    }
    String iterationInput = loop.iteration().orElse(null);
    if (iterationInput != null) {
      checkIterationInput(step, sig, ins.get(iterationInput), iterationInput, fb.input(), loop.inputs());
    }
    checkFeeds(step, "loop.inputs", sig, loop.inputs(), fb.input(), iterationInput);

    if (loop.until().isPresent()) {
      StepSpec.Until until = loop.until().get();
      TensorSpec u = outs.get(until.output());
      if (u == null) {
        throw stepError(step.name(), "loop.until.output: \"" + until.output() + "\" (expected: an output of model "
            + sig.name() + ": " + String.join(", ", outs.keySet()) + ")");
      }
      if ((!isInteger(u.datatype()) && u.datatype() != DataType.BYTES) || !oneElementPerRow(u.shape(), 1)) {
        throw stepError(step.name(), "loop.until.output: model " + sig.name() + "'s output " + until.output() + " is "
            + describe(u) + " (expected: an integer or BYTES tensor with one element per row)");
      }
      caseValue(step, "loop.until.equals", until.equals(), u, new TensorRef(step.name(), until.output()));
    }
    if (loop.maxIterations() < 1) {
      throw stepError(step.name(), "loop.max_iterations: " + loop.maxIterations() + " (expected: >= 1)");
    }
    if (loop.collect().isEmpty()) {
      throw stepError(step.name(), "loop.collect: none (expected: at least one output of model " + sig.name() + ")");
    }
    List<TensorSpec> collected = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String name : loop.collect()) {
      TensorSpec t = outs.get(name);
      if (t == null) {
        throw stepError(step.name(), "loop.collect: \"" + name + "\" (expected: an output of model "
            + sig.name() + ": " + String.join(", ", outs.keySet()) + ")");
      }
      if (!seen.add(name)) {
        throw stepError(step.name(), "loop.collect: " + name + " given twice (expected: each output once)");
      }
      if (t.shape().isEmpty()) {
        throw stepError(step.name(), "loop.collect: model " + sig.name() + "'s output " + name + " is " + describe(t)
            + " (expected: a batch dimension to concatenate iterations along)");
      }
      List<Long> shape = new ArrayList<>(t.shape());
      shape.set(0, -1L);
      collected.add(new TensorSpec(name, t.datatype(), shape));
    }
    return collected;
  }

  /**
   * The model input that gets the iteration number: an INT32 or INT64 input with one element per
   * call ([-1], [1], [-1, 1] or [1, 1]), fed by nothing else.
   */
  private void checkIterationInput(StepSpec step, ModelSignature sig, TensorSpec in, String name, String feedbackInput,
      List<Binding> feeds) {
    if (in == null) {
      throw stepError(step.name(), "loop.iteration: \"" + name + "\" (expected: an input of model " + sig.name() + ": "
          + sig.inputs().stream().map(TensorSpec::name).collect(Collectors.joining(", ")) + ")");
    }
    if (name.equals(feedbackInput)) {
      throw stepError(step.name(), "loop.iteration: " + name + " (expected: another input than the feedback's)");
    }
    boolean oneElement = in.shape().size() >= 1 && in.shape().size() <= 2 && (in.shape().get(0) < 0 || in.shape().get(0) == 1)
        && (in.shape().size() == 1 || in.shape().get(1) < 0 || in.shape().get(1) == 1);
    if ((in.datatype() != DataType.INT32 && in.datatype() != DataType.INT64) || !oneElement) {
      throw stepError(step.name(), "loop.iteration: model " + sig.name() + "'s input " + name + " is " + describe(in)
          + " (expected: INT32 or INT64 of shape [-1] or [-1, 1], one number a call)");
    }
  }

  /** The spec of a referenced tensor, recording that it is used; the producer must be compiled already. */
  private TensorSpec resolve(String step, String where, TensorRef ref) {
    if (ref.isPipelineInput()) {
      for (TensorSpec in : spec.inputs()) {
        if (in.name().equals(ref.tensor())) {
          return in;
        }
      }
      String known = spec.inputs().stream().map(TensorSpec::name).collect(Collectors.joining(", "));
      throw error(step, where + ": \"" + ref + "\" (expected: a pipeline input: " + known + ")");
    }
    if (ref.isSession()) {
      return session(step, where, ref);
    }
    LinkedHashMap<String, TensorSpec> outs = produced.get(ref.step());
    if (outs == null) {
      throw error(step, where + ": \"" + ref + "\" (expected: input.<name> or <step>.<output> with step one of: "
          + String.join(", ", declared.keySet()) + ")");
    }
    TensorSpec t = outs.get(ref.tensor());
    if (t == null) {
      throw error(step, where + ": \"" + ref + "\" (expected: " + (outs.isEmpty()
          ? "a step with outputs; " + ref.step() + " is a switch"
          : "an output of step " + ref.step() + ": " + String.join(", ", outs.keySet())) + ")");
    }
    used.computeIfAbsent(ref.step(), k -> new LinkedHashSet<>()).add(ref.tensor());
    return t;
  }

  /** The spec of a session value, recording that the pipeline reads it; names the known ones if it is none. */
  private TensorSpec session(String step, String where, TensorRef ref) {
    TensorSpec t = SessionInputs.spec(ref.toString()).orElseThrow(() -> error(step, where + ": \"" + ref
        + "\" (expected: a session value: " + String.join(", ", SessionInputs.names()) + ")"));
    sessionRead.add(ref.toString());
    return t;
  }

  /**
   * The spec of a tensor a reference of {@code spec} names, given the output specs of its steps;
   * the reference was resolved already. For the segment phase too.
   */
  static TensorSpec typeOf(PipelineSpec spec, Map<String, ? extends Map<String, TensorSpec>> produced, TensorRef ref) {
    if (ref.isSession()) {
      return SessionInputs.spec(ref.toString()).orElseThrow();
    }
    if (ref.isPipelineInput()) {
      return spec.inputs().stream().filter(t -> t.name().equals(ref.tensor())).findFirst().orElseThrow();
    }
    return produced.get(ref.step()).get(ref.tensor());
  }

  // ---- phase 3: nodes ----

  private Slot slot(TensorRef ref) {
    if (ref.isSession()) {
      return new Slot(Slot.INPUT, inputIndex.get(ref.toString()));
    }
    if (ref.isPipelineInput()) {
      for (int i = 0; i < spec.inputs().size(); i++) {
        if (spec.inputs().get(i).name().equals(ref.tensor())) {
          return new Slot(Slot.INPUT, i);
        }
      }
      throw new IllegalStateException("unresolved " + ref);
    }
    FusedSegment seg = fusedIn.get(ref.step());
    if (seg != null) {
      return new Slot(order.get(ref.step()), seg.outputs().indexOf(ref.toString()));
    }
    int index = new ArrayList<>(produced.get(ref.step()).keySet()).indexOf(ref.tensor());
    return new Slot(order.get(ref.step()), index);
  }

  private List<Feed> feeds(List<Binding> bindings) {
    return bindings.stream().map(b -> new Feed(b.input(), slot(b.from()))).toList();
  }

  private Node node(StepSpec step) {
    String name = step.name();
    List<String> outs = List.copyOf(produced.get(name).keySet());
    Set<String> asked = used.getOrDefault(name, Set.of());
    Plan.Op op;
    if (step.kind() instanceof ModelCall call) {
      op = new Plan.Call(call.model(), feeds(call.inputs()), List.copyOf(asked),
          asked.stream().map(produced.get(name)::get).toList(),
          step.fallback().map(fb -> new Plan.Fallback(fb.model(), feeds(fallbackInputs(call, fb)))).orElse(null));
    } else if (step.kind() instanceof Switch sw) {
      op = branch(step, sw);
    } else if (step.kind() instanceof Merge merge) {
      op = merge.mode() == Merge.Mode.CONCAT
          ? new Plan.Concat(merge.from().stream().map(this::slot).toList(), merge.axis())
          : new Plan.FirstOf(merge.from().stream().map(this::slot).toList());
    } else {
      op = repeat((Loop) step.kind());
    }
    Set<Integer> dataDeps = new LinkedHashSet<>();
    references(step).values().stream().filter(TensorRef::isStepOutput).forEach(r -> dataDeps.add(order.get(r.step())));
    String controller = controllerOf.get(name);
    return new Node(order.get(name), name, step.timeout().toNanos(), step.retries(), op, outs,
        dataDeps.stream().mapToInt(Integer::intValue).toArray(), controller == null ? -1 : order.get(controller));
  }

  private Plan.Branch branch(StepSpec step, Switch sw) {
    TensorSpec on = typeOf(spec, produced, sw.on());
    Map<String, int[]> cases = new LinkedHashMap<>();
    for (Case c : sw.cases()) {
      cases.put(caseValue(step, "switch", c.equals(), on, sw.on()), indexes(c.steps()));
    }
    int[] controlled = indexes(new ArrayList<>(branchSteps(sw)));
    return new Plan.Branch(slot(sw.on()), Map.copyOf(cases), indexes(sw.defaultSteps()), controlled);
  }

  private static Set<String> branchSteps(Switch sw) {
    Set<String> all = new LinkedHashSet<>();
    sw.cases().forEach(c -> all.addAll(c.steps()));
    all.addAll(sw.defaultSteps());
    return all;
  }

  private int[] indexes(List<String> steps) {
    return steps.stream().mapToInt(order::get).distinct().toArray();
  }

  private Plan.Repeat repeat(Loop loop) {
    ModelSignature sig = models.get(loop.model());
    Map<String, TensorSpec> outs = new HashMap<>();
    sig.outputs().forEach(t -> outs.put(t.name(), t));
    DataType fbType = sig.inputs().stream().filter(t -> t.name().equals(loop.feedback().input()))
        .findFirst().orElseThrow().datatype();
    Set<String> asked = new LinkedHashSet<>(loop.collect());
    asked.add(loop.feedback().output());
    String untilOutput = null;
    String untilEquals = null;
    if (loop.until().isPresent()) {
      untilOutput = loop.until().get().output();
      asked.add(untilOutput);
      TensorSpec u = outs.get(untilOutput);
      untilEquals = isInteger(u.datatype())
          ? Long.toString(Long.parseLong(loop.until().get().equals().trim())) : loop.until().get().equals();
    }
    return new Plan.Repeat(loop.model(), feeds(loop.inputs()), loop.feedback().input(), loop.feedback().output(),
        fbType, loop.feedback().window(), loop.feedback().start(), loop.collect(),
        loop.collect().stream().map(outs::get).toList(), untilOutput, untilEquals, loop.maxIterations(),
        List.copyOf(asked), loop.iteration().map(name -> sig.inputs().stream().filter(t -> t.name().equals(name))
            .findFirst().orElseThrow()).orElse(null));
  }

  // ---- fused segments: the plan's nodes for them ----

  /**
   * Steps left on their own and segments, in an order where every unit comes after the units it
   * reads from (Kahn's algorithm on the condensed graph, which is a DAG because segments are convex).
   */
  private List<Object> units(List<String> topo, List<FusedSegment> segments, Map<String, Set<String>> deps) {
    Map<String, Object> unitOf = new HashMap<>();
    List<Object> all = new ArrayList<>();
    for (String name : topo) {
      FusedSegment seg = fusedIn.get(name);
      Object unit = seg == null ? name : seg;
      unitOf.put(name, unit);
      if (!all.contains(unit)) {
        all.add(unit);
      }
    }
    Map<Object, Set<Object>> needs = new HashMap<>();
    for (String name : topo) {
      Object unit = unitOf.get(name);
      for (String d : deps.get(name)) {
        Object du = unitOf.get(d);
        if (du != unit) {
          needs.computeIfAbsent(unit, k -> new HashSet<>()).add(du);
        }
      }
    }
    List<Object> ordered = new ArrayList<>();
    Set<Object> placed = new HashSet<>();
    while (ordered.size() < all.size()) {
      Object next = all.stream()
          .filter(u -> !placed.contains(u) && placed.containsAll(needs.getOrDefault(u, Set.of())))
          .findFirst().orElseThrow(() -> new IllegalStateException("pipeline " + spec.name()
              + ": fused segments form a cycle (a bug of the segment cutter)"));
      placed.add(next);
      ordered.add(next);
    }
    return ordered;
  }

  /** One node for a whole segment; its time is bounded by the request's deadline and its steps' own. */
  private Node segmentNode(FusedSegment seg) {
    List<Feed> feeds = new ArrayList<>();
    Set<Integer> dataDeps = new LinkedHashSet<>();
    for (TensorRef ref : seg.inputs()) {
      feeds.add(new Feed(ref.toString(), slot(ref)));
      if (ref.isStepOutput()) {
        dataDeps.add(order.get(ref.step()));
      }
    }
    int retries = seg.plan().spec().steps().stream().mapToInt(StepSpec::retries).max().orElse(0);
    int index = order.get(seg.steps().get(0));
    return new Node(index, seg.plan().id(), Long.MAX_VALUE, retries,
        new Plan.Segment(seg.plan().group(), seg.plan().id(), List.copyOf(feeds), seg.steps()), seg.outputs(),
        dataDeps.stream().mapToInt(Integer::intValue).toArray(), -1);
  }

  // ---- helpers ----

  static boolean isInteger(DataType t) {
    return switch (t) {
      case INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, BOOL -> true;
      default -> false;
    };
  }

  /** True when every dimension from {@code from} on is 1 or unknown (and the rank is at least 1). */
  private static boolean oneElementPerRow(List<Long> shape, int from) {
    if (shape.isEmpty()) {
      return false;
    }
    for (int d = from; d < shape.size(); d++) {
      if (shape.get(d) >= 0 && shape.get(d) != 1) {
        return false;
      }
    }
    return true;
  }

  static boolean fits(List<Long> have, List<Long> want) {
    if (have.size() != want.size()) {
      return false;
    }
    for (int d = 0; d < have.size(); d++) {
      long a = have.get(d);
      long b = want.get(d);
      if (a >= 0 && b >= 0 && a != b) {
        return false;
      }
    }
    return true;
  }

  static String shape(List<Long> shape) {
    return shape.toString();
  }

  static String describe(TensorSpec t) {
    return t.datatype() + " " + shape(t.shape());
  }

  private PipelineConfigException pipelineError(String message) {
    return new PipelineConfigException("pipeline " + spec.name() + ": " + message);
  }

  private PipelineConfigException stepError(String step, String message) {
    return new PipelineConfigException("pipeline " + spec.name() + ", step " + step + ": " + message);
  }

  private PipelineConfigException error(String step, String message) {
    return step == null ? pipelineError(message) : stepError(step, message);
  }
}
