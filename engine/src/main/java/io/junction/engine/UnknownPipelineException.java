package io.junction.engine;

import java.util.Collection;

/** No pipeline has that name (NOT_FOUND). */
public final class UnknownPipelineException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public UnknownPipelineException(String name, Collection<String> known) {
    super("pipeline: \"" + name + "\" (expected: one of " + known.stream().sorted().toList() + ")", null);
  }
}
