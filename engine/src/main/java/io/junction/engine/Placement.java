package io.junction.engine;

import java.util.function.Predicate;

/**
 * Where the models of a pipeline run, as far as the compiler needs to know to cut fused
 * segments: a model's group (the pool that serves it) and whether that group's members can run
 * segments (Junction workers can; servers that speak only the Open Inference Protocol cannot).
 */
public interface Placement {
  /** Nothing fuses: every step runs on its own. What a worker compiles its segment plans with. */
  Placement NONE = of(model -> "", model -> false);

  /** The group that serves {@code model}, named in timings ("" when unknown). */
  String group(String model);

  /** True when {@code model}'s group can run segments. */
  boolean canFuse(String model);

  static Placement of(java.util.function.Function<String, String> group, Predicate<String> canFuse) {
    return new Placement() {
      @Override
      public String group(String model) {
        return group.apply(model);
      }

      @Override
      public boolean canFuse(String model) {
        return canFuse.test(model);
      }
    };
  }
}
