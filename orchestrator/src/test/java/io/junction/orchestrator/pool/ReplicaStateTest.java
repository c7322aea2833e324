package io.junction.orchestrator.pool;

import static io.junction.orchestrator.pool.ReplicaState.DRAINING;
import static io.junction.orchestrator.pool.ReplicaState.FAILED;
import static io.junction.orchestrator.pool.ReplicaState.READY;
import static io.junction.orchestrator.pool.ReplicaState.RESTARTING;
import static io.junction.orchestrator.pool.ReplicaState.STARTING;
import static io.junction.orchestrator.pool.ReplicaState.STOPPED;
import static io.junction.orchestrator.pool.ReplicaState.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaStateTest {

  /** The lifecycle as the design draws it; the enum must allow exactly these moves. */
  private static final Map<ReplicaState, Set<ReplicaState>> ALLOWED = Map.of(
      STARTING, EnumSet.of(READY, UNHEALTHY, RESTARTING, DRAINING, FAILED),
      READY, EnumSet.of(UNHEALTHY, RESTARTING, DRAINING, FAILED),
      UNHEALTHY, EnumSet.of(READY, RESTARTING, DRAINING, FAILED),
      RESTARTING, EnumSet.of(STARTING, DRAINING),
      DRAINING, EnumSet.of(STOPPED, STARTING), // STARTING: a drained local replica replaced
      STOPPED, EnumSet.noneOf(ReplicaState.class),
      FAILED, EnumSet.noneOf(ReplicaState.class));

  @Test
  void theTableAllowsExactlyTheDesignedMoves() {
    for (ReplicaState from : ReplicaState.values()) {
      for (ReplicaState to : ReplicaState.values()) {
        assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(ALLOWED.get(from).contains(to));
      }
    }
  }

  @Test
  void failedAndStoppedAreFinal() {
    assertThat(EnumSet.allOf(ReplicaState.class).stream().filter(ReplicaState::isFinal))
        .containsExactlyInAnyOrder(FAILED, STOPPED);
  }

  @Test
  void aReplicaStartsInStartingAndFollowsTheTable() {
    ReplicaLifecycle life = new ReplicaLifecycle("p-0");
    assertThat(life.get()).isEqualTo(STARTING);
    assertThat(life.transition(STARTING, READY)).isTrue();
    assertThat(life.transition(READY, UNHEALTHY)).isTrue();
    assertThat(life.transition(UNHEALTHY, READY)).isTrue();
    assertThat(life.transition(READY, RESTARTING)).isTrue();
    assertThat(life.transition(RESTARTING, STARTING)).isTrue();
    assertThat(life.get()).isEqualTo(STARTING);
  }

  @Test
  void aTransitionFromAStateTheReplicaHasLeftLosesTheRace() {
    ReplicaLifecycle life = new ReplicaLifecycle("p-0");
    life.transition(STARTING, READY);
    assertThat(life.transition(STARTING, FAILED)).isFalse();
    assertThat(life.get()).isEqualTo(READY);
  }

  @Test
  void aMoveTheTableForbidsIsABug() {
    ReplicaLifecycle life = new ReplicaLifecycle("p-0");
    assertThatThrownBy(() -> life.transition(RESTARTING, READY))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("p-0: RESTARTING -> READY");
  }

  @Test
  void moveToRefusesToLeaveAFinalState() {
    ReplicaLifecycle life = new ReplicaLifecycle("p-0");
    assertThat(life.moveTo(FAILED)).isEqualTo(STARTING);
    assertThat(life.moveTo(DRAINING)).isNull();
    assertThat(life.moveTo(RESTARTING)).isNull();
    assertThat(life.get()).isEqualTo(FAILED);
  }

  @Test
  void closingDrainsThenStops() {
    ReplicaLifecycle life = new ReplicaLifecycle("p-0");
    life.transition(STARTING, READY);
    assertThat(life.moveTo(DRAINING)).isEqualTo(READY);
    assertThat(life.moveTo(READY)).isNull();
    assertThat(life.moveTo(STOPPED)).isEqualTo(DRAINING);
  }
}
