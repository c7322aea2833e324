package io.junction.workers.serving;

import java.util.List;

/** A segment plan is not loaded on this worker (it restarted, or was never given it): load it, then call again. */
public final class UnknownPlanException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnknownPlanException(String id, List<String> loaded) {
    super("plan_id: \"" + id + "\" is not loaded on this worker (expected: one of " + loaded
        + "; SegmentService.LoadPlans loads it)", null, false, false);
  }
}
