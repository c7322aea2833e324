package io.junction.engine;

/**
 * A pipeline cannot be compiled against the models' signatures: a cycle, an unknown model,
 * step or tensor, an input left unfed or fed twice, a datatype or shape that does not fit,
 * or a switch, merge or loop wired wrongly. Thrown at start only, never per request. The
 * message names the pipeline, the step and the problem.
 */
public final class PipelineConfigException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public PipelineConfigException(String message) {
    super(message, null);
  }
}
