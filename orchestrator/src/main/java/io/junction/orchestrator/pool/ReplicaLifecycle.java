package io.junction.orchestrator.pool;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The current {@link ReplicaState} of one replica, moved only along the table's edges. The
 * routing path reads it without locks; moves are compare-and-set, so two events racing to
 * move the same replica cannot both win.
 */
final class ReplicaLifecycle {
  private final String replicaId;
  private final AtomicReference<ReplicaState> state = new AtomicReference<>(ReplicaState.STARTING);
  /** Told each time the replica enters READY (the first time, and after UNHEALTHY or a restart). */
  private volatile Runnable onReady = () -> {};
  /** Told after every move, whatever the states (the pool's queue waits on replicas coming and going). */
  private volatile Runnable onMove = () -> {};

  ReplicaLifecycle(String replicaId) {
    this.replicaId = replicaId;
  }

  ReplicaState get() {
    return state.get();
  }

  /**
   * Moves from {@code from} to {@code to} if the replica is still in {@code from}.
   *
   * @return false when the replica has meanwhile moved elsewhere
   * @throws IllegalStateException when the table does not allow the move: a bug, not a race
   */
  boolean transition(ReplicaState from, ReplicaState to) {
    if (!from.canMoveTo(to)) {
      throw new IllegalStateException(
          "replica " + replicaId + ": " + from + " -> " + to + " (expected: one of the allowed transitions)");
    }
    boolean moved = state.compareAndSet(from, to);
    if (moved) {
      moved(to);
    }
    return moved;
  }

  /** What to do each time the replica enters READY; it must not block (it runs on the event thread). */
  void onReady(Runnable action) {
    onReady = action;
  }

  /** What to do after each move, READY or not; it must not block. */
  void onMove(Runnable action) {
    onMove = action;
  }

  private void moved(ReplicaState to) {
    if (to == ReplicaState.READY) {
      onReady.run();
    }
    onMove.run();
  }

  /**
   * Moves to {@code to} from whatever state the replica is in, if the table allows it.
   *
   * @return the state it left, or null when the move is not allowed from the current state
   */
  ReplicaState moveTo(ReplicaState to) {
    while (true) {
      ReplicaState current = state.get();
      if (!current.canMoveTo(to)) {
        return null;
      }
      if (state.compareAndSet(current, to)) {
        moved(to);
        return current;
      }
    }
  }

  @Override
  public String toString() {
    return replicaId + ":" + state.get();
  }
}
