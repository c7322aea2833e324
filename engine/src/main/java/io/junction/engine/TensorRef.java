package io.junction.engine;

import java.util.Objects;

/**
 * A reference to a tensor inside a pipeline: {@code input.<name>} (a pipeline input),
 * {@code session.<key>} (a value of the caller's session, {@link SessionInputs}) or
 * {@code <step>.<output>} (an output of an earlier step). The tensor name is everything after
 * the first dot, so tensor names may themselves contain dots; step names may not.
 */
public record TensorRef(String step, String tensor) {
  /** The pseudo step that pipeline inputs belong to; no step may take this name. */
  public static final String INPUT = "input";
  /** The pseudo step that session values belong to; no step may take this name either. */
  public static final String SESSION = "session";
  private static final String EXPECTED = "(expected: input.<name>, session.<key> or <step>.<output>)";

  public TensorRef {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(tensor, "tensor");
    if (step.isEmpty() || tensor.isEmpty() || step.contains(".")) {
      throw new IllegalArgumentException(
          "\"" + step + "." + tensor + "\" " + EXPECTED);
    }
  }

  /** Parses {@code step.tensor}; throws IllegalArgumentException saying what was expected. */
  public static TensorRef parse(String text) {
    int dot = text == null ? -1 : text.indexOf('.');
    if (dot <= 0 || dot == text.length() - 1) {
      throw new IllegalArgumentException(
          "\"" + text + "\" " + EXPECTED);
    }
    return new TensorRef(text.substring(0, dot), text.substring(dot + 1));
  }

  public boolean isPipelineInput() {
    return INPUT.equals(step);
  }

  public boolean isSession() {
    return SESSION.equals(step);
  }

  /** An output of some step: neither a pipeline input nor a session value. */
  public boolean isStepOutput() {
    return !isPipelineInput() && !isSession();
  }

  @Override
  public String toString() {
    return step + "." + tensor;
  }
}
