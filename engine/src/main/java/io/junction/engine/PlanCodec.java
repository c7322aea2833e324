package io.junction.engine;

import io.junction.engine.StepSpec.Binding;
import io.junction.engine.StepSpec.Case;
import io.junction.engine.StepSpec.Feedback;
import io.junction.engine.StepSpec.Loop;
import io.junction.engine.StepSpec.Merge;
import io.junction.engine.StepSpec.ModelCall;
import io.junction.engine.StepSpec.Switch;
import io.junction.engine.StepSpec.Until;
import io.junction.proto.v1.PlanBinding;
import io.junction.proto.v1.PlanCase;
import io.junction.proto.v1.PlanLoop;
import io.junction.proto.v1.PlanMerge;
import io.junction.proto.v1.PlanModelCall;
import io.junction.proto.v1.PlanOutput;
import io.junction.proto.v1.PlanStep;
import io.junction.proto.v1.PlanSwitch;
import io.junction.tensor.DataType;
import io.junction.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link SegmentPlan} to and from its wire form ({@code junction.v1.SegmentPlan}), the one
 * place both processes translate plans. Reading checks only what the form itself can get wrong
 * (references, datatypes, a step with no kind); the compiler checks the rest, with the step named.
 */
public final class PlanCodec {
  private PlanCodec() {}

  public static io.junction.proto.v1.SegmentPlan toMessage(SegmentPlan plan) {
    PipelineSpec spec = plan.spec();
    io.junction.proto.v1.SegmentPlan.Builder b = io.junction.proto.v1.SegmentPlan.newBuilder()
        .setId(plan.id()).setPipeline(spec.name());
    for (TensorSpec t : spec.inputs()) {
      b.addInputs(io.junction.proto.v1.TensorSpec.newBuilder().setName(t.name()).setDatatype(t.datatype().name())
          .addAllShape(t.shape()));
    }
    spec.outputs().forEach(o -> b.addOutputs(PlanOutput.newBuilder().setName(o.name()).setFrom(o.from().toString())));
    for (StepSpec step : spec.steps()) {
      PlanStep.Builder s = PlanStep.newBuilder().setName(step.name())
          .setTimeoutMicros(step.timeout().toNanos() / 1000).setRetries(step.retries());
      if (step.kind() instanceof ModelCall c) {
        s.setModel(PlanModelCall.newBuilder().setModel(c.model()).addAllInputs(bindings(c.inputs())));
      } else if (step.kind() instanceof Loop l) {
        PlanLoop.Builder loop = PlanLoop.newBuilder().setModel(l.model()).addAllInputs(bindings(l.inputs()))
            .setFeedbackInput(l.feedback().input()).setFeedbackOutput(l.feedback().output())
            .setWindow(l.feedback().window()).setStart(l.feedback().start()).addAllCollect(l.collect())
            .setMaxIterations(l.maxIterations());
        l.until().ifPresent(u -> loop.setUntilOutput(u.output()).setUntilEquals(u.equals()));
        l.iteration().ifPresent(loop::setIterationInput);
        s.setLoop(loop);
      } else if (step.kind() instanceof Switch sw) {
        PlanSwitch.Builder p = PlanSwitch.newBuilder().setOn(sw.on().toString()).addAllDefaultSteps(sw.defaultSteps());
        sw.cases().forEach(c -> p.addCases(PlanCase.newBuilder().setEquals(c.equals()).addAllSteps(c.steps())));
        s.setSwitchStep(p);
      } else {
        Merge m = (Merge) step.kind();
        s.setMerge(PlanMerge.newBuilder()
            .setMode(m.mode() == Merge.Mode.CONCAT ? PlanMerge.Mode.CONCAT : PlanMerge.Mode.FIRST_OF)
            .addAllFrom(m.from().stream().map(TensorRef::toString).toList()).setAxis(m.axis()).setOutput(m.output()));
      }
      b.addSteps(s);
    }
    return b.build();
  }

  /**
   * @param group the group the reading side serves the plan for
   * @throws PipelineConfigException naming the plan and what in it is malformed
   */
  public static SegmentPlan fromMessage(io.junction.proto.v1.SegmentPlan m, String group) {
    String where = "plan " + m.getId();
    if (m.getId().isEmpty()) {
      throw new PipelineConfigException("plan: empty id (expected: the id the orchestrator gave the segment)");
    }
    List<TensorSpec> inputs = new ArrayList<>();
    for (int i = 0; i < m.getInputsCount(); i++) {
      io.junction.proto.v1.TensorSpec t = m.getInputs(i);
      String at = where + ": inputs[" + i + "].datatype";
      DataType type = DataType.fromName(t.getDatatype()).orElseThrow(() -> new PipelineConfigException(
          at + ": \"" + t.getDatatype() + "\" (expected: one of " + DataType.names() + ")"));
      inputs.add(new TensorSpec(t.getName(), type, t.getShapeList()));
    }
    List<PipelineSpec.Output> outputs = new ArrayList<>();
    for (int i = 0; i < m.getOutputsCount(); i++) {
      outputs.add(new PipelineSpec.Output(m.getOutputs(i).getName(), ref(where + ": outputs[" + i + "].from",
          m.getOutputs(i).getFrom())));
    }
    List<StepSpec> steps = new ArrayList<>();
    for (int i = 0; i < m.getStepsCount(); i++) {
      steps.add(step(where + ": steps[" + i + "]", m.getSteps(i)));
    }
    return new SegmentPlan(m.getId(), group, new PipelineSpec(m.getPipeline(), inputs, outputs, steps, false));
  }

  private static StepSpec step(String where, PlanStep s) {
    StepSpec.Kind kind = switch (s.getKindCase()) {
      case MODEL -> new ModelCall(s.getModel().getModel(), bindings(where + ".model.inputs", s.getModel().getInputsList()));
      case LOOP -> {
        PlanLoop l = s.getLoop();
        Optional<Until> until = l.getUntilOutput().isEmpty()
            ? Optional.empty() : Optional.of(new Until(l.getUntilOutput(), l.getUntilEquals()));
        yield new Loop(l.getModel(), bindings(where + ".loop.inputs", l.getInputsList()),
            new Feedback(l.getFeedbackInput(), l.getFeedbackOutput(), l.getWindow(), l.getStart()),
            l.getCollectList(), until, l.getMaxIterations(),
            l.getIterationInput().isEmpty() ? Optional.empty() : Optional.of(l.getIterationInput()));
      }
      case SWITCH_STEP -> {
        PlanSwitch sw = s.getSwitchStep();
        yield new Switch(ref(where + ".switch.on", sw.getOn()),
            sw.getCasesList().stream().map(c -> new Case(c.getEquals(), c.getStepsList())).toList(), sw.getDefaultStepsList());
      }
      case MERGE -> {
        PlanMerge mg = s.getMerge();
        List<TensorRef> from = new ArrayList<>();
        for (int i = 0; i < mg.getFromCount(); i++) {
          from.add(ref(where + ".merge.from[" + i + "]", mg.getFrom(i)));
        }
        yield new Merge(mg.getMode() == PlanMerge.Mode.FIRST_OF ? Merge.Mode.FIRST_OF : Merge.Mode.CONCAT,
            from, mg.getAxis(), mg.getOutput());
      }
      case KIND_NOT_SET -> throw new PipelineConfigException(where + " (" + s.getName()
          + "): no kind (expected: one of model, loop, switch_step, merge)");
    };
    if (s.getTimeoutMicros() <= 0 || s.getRetries() < 0) {
      throw new PipelineConfigException(where + " (" + s.getName() + "): timeout_micros " + s.getTimeoutMicros()
          + ", retries " + s.getRetries() + " (expected: timeout_micros > 0 and retries >= 0)");
    }
    return new StepSpec(s.getName(), Duration.ofNanos(s.getTimeoutMicros() * 1000), s.getRetries(), kind);
  }

  private static List<PlanBinding> bindings(List<Binding> bindings) {
    return bindings.stream().map(b -> PlanBinding.newBuilder().setInput(b.input()).setFrom(b.from().toString()).build())
        .toList();
  }

  private static List<Binding> bindings(String where, List<PlanBinding> bindings) {
    List<Binding> out = new ArrayList<>();
    for (PlanBinding b : bindings) {
      out.add(new Binding(b.getInput(), ref(where + "." + b.getInput(), b.getFrom())));
    }
    return out;
  }

  private static TensorRef ref(String where, String text) {
    try {
      return TensorRef.parse(text);
    } catch (IllegalArgumentException e) {
      throw new PipelineConfigException(where + ": " + e.getMessage());
    }
  }
}
