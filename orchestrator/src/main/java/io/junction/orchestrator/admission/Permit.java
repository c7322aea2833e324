package io.junction.orchestrator.admission;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted request's hold on admission's capacity. Released exactly once, with how the
 * request ended: a second release (a completion racing a cancel) changes nothing and says so.
 */
public final class Permit {
  private final Admission admission;
  private final Priority priority;
  private final AtomicBoolean released = new AtomicBoolean();

  Permit(Admission admission, Priority priority) {
    this.admission = admission;
    this.priority = priority;
  }

  public Priority priority() {
    return priority;
  }

  /** Gives the capacity back; true the first time, false (and nothing done) after that. */
  public boolean release(Outcome outcome) {
    if (!released.compareAndSet(false, true)) {
      return false;
    }
    admission.released(priority, outcome);
    return true;
  }

  /** How an admitted request ended. */
  public enum Outcome { SUCCEEDED, FAILED, CANCELLED }
}
