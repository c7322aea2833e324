package io.junction.engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One step of a pipeline as configured: a name, a time budget, a retry budget and what the
 * step does ({@link Kind}: call a model, switch, merge or loop).
 *
 * @param timeout for a model step, each attempt; for a loop, the whole loop. Always capped by
 *                what is left of the request's deadline.
 * @param retries extra attempts after UNAVAILABLE or the step's own timeout, only while the
 *                request's deadline allows. A loop retries a failed iteration call (UNAVAILABLE
 *                only: its timeout covers the whole loop).
 * @param fallback for a model step, the model called instead when the step's attempts are spent
 *                on failures that say its model could not serve (UNAVAILABLE, no ready replica,
 *                the step's timeout, a spent retry budget), never on the caller's mistakes
 */
public record StepSpec(String name, Duration timeout, int retries, Kind kind, Optional<Fallback> fallback) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(1000);
  public static final int DEFAULT_RETRIES = 1;

  public StepSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(fallback, "fallback");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(name + ".timeout: " + timeout + " (expected: > 0)");
    }
    if (retries < 0) {
      throw new IllegalArgumentException(name + ".retries: " + retries + " (expected: >= 0)");
    }
  }

  /** A step without a fallback. */
  public StepSpec(String name, Duration timeout, int retries, Kind kind) {
    this(name, timeout, retries, kind, Optional.empty());
  }

  /**
   * What a model step calls when its own model could not serve: another model, fed the step's
   * own inputs when {@code inputs} is empty, else those. It must give every output the pipeline
   * reads from the step, with the datatype and shape the step's model gives it.
   */
  public record Fallback(String model, List<Binding> inputs) {
    public Fallback {
      Objects.requireNonNull(model, "model");
      inputs = List.copyOf(inputs);
    }
  }

  /** A model step with the default timeout and retries. */
  public static StepSpec model(String name, String model, List<Binding> inputs) {
    return new StepSpec(name, DEFAULT_TIMEOUT, DEFAULT_RETRIES, new ModelCall(model, inputs));
  }

  /** What a step does. */
  public sealed interface Kind permits ModelCall, Switch, Merge, Loop {}

  /** A model input and the tensor that feeds it. */
  public record Binding(String input, TensorRef from) {
    public Binding {
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(from, "from");
    }
  }

  /** Calls a model once; the step's outputs are the model's outputs. */
  public record ModelCall(String model, List<Binding> inputs) implements Kind {
    public ModelCall {
      Objects.requireNonNull(model, "model");
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * Picks a branch by the value of a one-element integer or BYTES tensor. Steps named in a
   * branch that is not picked are skipped, and so is every step that needs a skipped step's
   * output (a {@code first_of} merge excepted). A switch has no outputs.
   *
   * @param defaultSteps the branch taken when no case matches; empty means none
   */
  public record Switch(TensorRef on, List<Case> cases, List<String> defaultSteps) implements Kind {
    public Switch {
      Objects.requireNonNull(on, "on");
      cases = List.copyOf(cases);
      defaultSteps = List.copyOf(defaultSteps);
    }
  }

  /** A switch branch: taken when the value, written as text ("0", "book_flight"), equals {@code equals}. */
  public record Case(String equals, List<String> steps) {
    public Case {
      Objects.requireNonNull(equals, "equals");
      steps = List.copyOf(steps);
    }
  }

  /**
   * Fan-in: {@code CONCAT} joins tensors of one datatype along {@code axis};
   * {@code FIRST_OF} takes the first of the tensors whose step ran (after a switch). The
   * step has one output, {@code output}.
   */
  public record Merge(Mode mode, List<TensorRef> from, int axis, String output) implements Kind {
    public enum Mode { CONCAT, FIRST_OF }

    public Merge {
      Objects.requireNonNull(mode, "mode");
      from = List.copyOf(from);
      Objects.requireNonNull(output, "output");
    }
  }

  /**
   * Calls a model repeatedly for one sequence (batch 1): the decode loop. Each iteration gets
   * the fixed {@code inputs} plus the feedback input; the step's outputs are the
   * {@code collect} outputs, each iteration's value concatenated along the first dimension.
   *
   * @param until         stop condition; the stopping iteration's values are not collected
   * @param maxIterations most iterations; {@link RunOptions#maxIterations()} may lower it
   * @param iteration     a model input, integer with one element ([1] or [1, 1]), that gets the
   *                      number of the iteration (0 for the first call, the same for a retried
   *                      call): what a model needs to tell its steps apart (a position, a draw per
   *                      step); empty for none
   */
  public record Loop(
      String model, List<Binding> inputs, Feedback feedback, List<String> collect, Optional<Until> until, int maxIterations,
      Optional<String> iteration)
      implements Kind {
    public Loop {
      Objects.requireNonNull(model, "model");
      inputs = List.copyOf(inputs);
      Objects.requireNonNull(feedback, "feedback");
      collect = List.copyOf(collect);
      Objects.requireNonNull(until, "until");
      Objects.requireNonNull(iteration, "iteration");
    }

    /** A loop that feeds no iteration number. */
    public Loop(String model, List<Binding> inputs, Feedback feedback, List<String> collect, Optional<Until> until,
        int maxIterations) {
      this(model, inputs, feedback, collect, until, maxIterations, Optional.empty());
    }
  }

  /**
   * Model input {@code input}, shape [1, window], holds the last {@code window} values of
   * model output {@code output}, left-padded with {@code start}.
   */
  public record Feedback(String input, String output, int window, long start) {
    public Feedback {
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(output, "output");
    }
  }

  /** Stop when model output {@code output}'s value, written as text, equals {@code equals}. */
  public record Until(String output, String equals) {
    public Until {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(equals, "equals");
    }
  }
}
