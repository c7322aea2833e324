package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status.Code;
import io.grpc.Status;
import io.junction.engine.PipelineInputException;
import io.junction.engine.PipelineStalledException;
import io.junction.engine.StepFailedException;
import io.junction.engine.StepLimitException;
import io.junction.engine.StepTimeoutException;
import io.junction.engine.UnknownPipelineException;
import io.junction.orchestrator.admission.Admission;
import io.junction.orchestrator.admission.AdmissionConfig;
import io.junction.orchestrator.admission.InvalidPriorityException;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.orchestrator.pool.PoolQueueTimeoutException;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.orchestrator.pool.RetryBudgetSpentException;
import io.junction.orchestrator.pool.PoolSaturatedException;
import io.junction.orchestrator.pool.ReplicaDrainRefusedException;
import io.junction.orchestrator.pool.UnknownModelException;
import io.junction.orchestrator.pool.UnknownReplicaException;
import io.junction.orchestrator.session.UnknownSessionException;
import io.junction.tensor.TensorFormatException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatusMapperTest {

  private static ReplicaCallException replica(Status status) {
    return new ReplicaCallException("recommend-0", status);
  }

  private static StepFailedException step(Throwable cause) {
    return new StepFailedException("recommend", "user_tower", cause);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(new UnknownPipelineException("chats", List.of("chat", "recommend")), Code.NOT_FOUND,
            "pipeline: \"chats\" (expected: one of [chat, recommend])"),
        Arguments.of(new UnknownModelException("intents", List.of("intent")), Code.NOT_FOUND,
            "model: \"intents\" (expected: one of [intent])"),
        Arguments.of(new UnknownNameException("model: \"x\" (expected: ...)"), Code.NOT_FOUND, "model: \"x\""),
        Arguments.of(new UnknownSessionException("s-1"), Code.NOT_FOUND, "session_id: \"s-1\" (expected: a live session"),
        Arguments.of(new UnknownReplicaException("chat-9", List.of("chat-0")), Code.NOT_FOUND,
            "replica_id: \"chat-9\" (expected: one of [chat-0]"),
        Arguments.of(new ReplicaDrainRefusedException("replica_id: \"chat-0\" is the last replica"),
            Code.FAILED_PRECONDITION, "replica_id: \"chat-0\" is the last replica"),
        Arguments.of(new ServerDrainingException("Chat turn"), Code.UNAVAILABLE,
            "Chat turn: refused, the server is draining (expected: retry on another orchestrator"),
        Arguments.of(refusedAtTheDoor(), Code.RESOURCE_EXHAUSTED,
            "admission: 1 requests in flight, the limit of admission.max_in_flight; chat refused"),
        Arguments.of(new InvalidPriorityException("urgent"), Code.INVALID_ARGUMENT,
            "junction-priority: \"urgent\" (expected: interactive or batch)"),
        Arguments.of(new PipelineInputException("user_id: missing (expected: INT64 [1])"), Code.INVALID_ARGUMENT,
            "user_id: missing (expected: INT64 [1])"),
        Arguments.of(new TensorFormatException("x.datatype: \"F32\" (expected: one of ...)"), Code.INVALID_ARGUMENT,
            "x.datatype: \"F32\""),
        Arguments.of(new InvalidRequestException("k: 5000 (expected: 1..50)"), Code.INVALID_ARGUMENT, "k: 5000 (expected: 1..50)"),
        Arguments.of(new StepFailedException("chat", "reply", new StepLimitException(
                "steps executed: 11 (expected: <= 10, each loop iteration counted; limits.max_steps_executed in the config)")),
            Code.FAILED_PRECONDITION, "pipeline chat, step reply: steps executed: 11 (expected: <= 10"),
        Arguments.of(new CapacityLimitException("open streams: 11 (expected: <= 10; limits.max_open_streams in the config)"),
            Code.RESOURCE_EXHAUSTED, "open streams: 11 (expected: <= 10; limits.max_open_streams in the config)"),
        Arguments.of(new NoReadyReplicaException("chat", "2 replicas STARTING"), Code.UNAVAILABLE,
            "pool chat: no ready replica (2 replicas STARTING)"),
        Arguments.of(new PoolSaturatedException("chat", "2 READY replica(s) at their limit of 64 calls in flight"),
            Code.RESOURCE_EXHAUSTED, "pool chat: at capacity"),
        Arguments.of(new PoolQueueTimeoutException("chat", "2 READY replica(s) at their limit of 64 calls in flight"),
            Code.DEADLINE_EXCEEDED, "pool chat: the deadline passed while the call waited for a free replica"),
        Arguments.of(new RetryBudgetSpentException("recommendation",
                new ReplicaCallException("recommendation-1", Status.UNAVAILABLE.withDescription("fault injected"))),
            Code.UNAVAILABLE, "replica recommendation-1: UNAVAILABLE: fault injected (not retried: retry budget of pool"
                + " recommendation spent)"),
        Arguments.of(new RetryBudgetSpentException("recommendation", new ReplicaCallException("recommendation-1",
                Status.RESOURCE_EXHAUSTED.withDescription("queue full"))),
            Code.RESOURCE_EXHAUSTED, "retry budget of pool recommendation spent"),
        Arguments.of(new StepTimeoutException("step ranker: 2000 ms (expected: within the deadline)"), Code.DEADLINE_EXCEEDED,
            "step ranker"),
        Arguments.of(new PipelineStalledException("pipeline chat: outputs [reply] missing; skipped: [greet]"),
            Code.FAILED_PRECONDITION, "outputs [reply] missing"),
        Arguments.of(new CancellationException(), Code.CANCELLED, "cancelled"),
        Arguments.of(new TimeoutException("probe"), Code.DEADLINE_EXCEEDED, "probe"),
        Arguments.of(Status.RESOURCE_EXHAUSTED.withDescription("queue full").asRuntimeException(), Code.RESOURCE_EXHAUSTED,
            "queue full"),
        Arguments.of(Status.ABORTED.withDescription("as is").asException(), Code.ABORTED, "as is"),
        // a replica's status: kept where it tells the client something true
        Arguments.of(replica(Status.INVALID_ARGUMENT.withDescription("user_id: 2000 (expected: 0..1999)")),
            Code.INVALID_ARGUMENT, "user_id: 2000 (expected: 0..1999)"),
        Arguments.of(replica(Status.NOT_FOUND.withDescription("model gone")), Code.NOT_FOUND, "model gone"),
        Arguments.of(replica(Status.RESOURCE_EXHAUSTED.withDescription("queue full")), Code.RESOURCE_EXHAUSTED, "queue full"),
        Arguments.of(replica(Status.DEADLINE_EXCEEDED), Code.DEADLINE_EXCEEDED, "recommend-0"),
        Arguments.of(replica(Status.UNAVAILABLE.withDescription("draining")), Code.UNAVAILABLE, "draining"),
        // ...and UNAVAILABLE otherwise: that replica failed, another may serve
        Arguments.of(replica(Status.INTERNAL.withDescription("tf crashed")), Code.UNAVAILABLE, "INTERNAL: tf crashed"),
        Arguments.of(replica(Status.UNKNOWN), Code.UNAVAILABLE, "UNKNOWN"),
        Arguments.of(replica(Status.FAILED_PRECONDITION), Code.UNAVAILABLE, "FAILED_PRECONDITION"),
        // a failed step takes its cause's code and names the step
        Arguments.of(step(replica(Status.INVALID_ARGUMENT.withDescription("user_id: 2000 (expected: 0..1999)"))),
            Code.INVALID_ARGUMENT, "pipeline recommend, step user_tower: replica recommend-0: INVALID_ARGUMENT: user_id: 2000 (expected: 0..1999)"),
        Arguments.of(step(new NoReadyReplicaException("recs", "all FAILED")), Code.UNAVAILABLE,
            "pipeline recommend, step user_tower: pool recs: no ready replica"),
        Arguments.of(step(new StepTimeoutException("timed out")), Code.DEADLINE_EXCEEDED, "step user_tower: timed out"),
        Arguments.of(step(replica(Status.INTERNAL)), Code.UNAVAILABLE, "step user_tower"),
        Arguments.of(step(new TensorFormatException("bad")), Code.INVALID_ARGUMENT, "step user_tower: bad"),
        Arguments.of(step(new IllegalStateException("bug")), Code.INTERNAL, "step user_tower: bug"),
        // our own bugs are INTERNAL, including IllegalArgumentException that is not a tensor's
        Arguments.of(new NullPointerException("x"), Code.INTERNAL, "NullPointerException: x"),
        Arguments.of(new IllegalArgumentException("no output tokens in chat"), Code.INTERNAL, "no output tokens"),
        // wrappers that futures add are looked through
        Arguments.of(new CompletionException(new UnknownModelException("m", List.of())), Code.NOT_FOUND, "model: \"m\""),
        Arguments.of(new ExecutionException(new CompletionException(new NoReadyReplicaException("p", "d"))),
            Code.UNAVAILABLE, "pool p"));
  }

  @ParameterizedTest(name = "{index}: {0} -> {1}")
  @MethodSource("table")
  void mapsEachErrorToItsCode(Throwable error, Code code, String message) {
    Status status = StatusMapper.toStatus(error);
    assertThat(status.getCode()).isEqualTo(code);
    assertThat(status.getDescription()).contains(message);
  }

  @Test
  void noRuleHidesALaterSubclass() {
    List<Class<? extends Throwable>> order = StatusMapper.ruleOrder();
    for (int i = 0; i < order.size(); i++) {
      for (int j = i + 1; j < order.size(); j++) {
        assertThat(order.get(i).isAssignableFrom(order.get(j)))
            .as("%s comes before its subclass %s", order.get(i).getSimpleName(), order.get(j).getSimpleName())
            .isFalse();
      }
    }
  }

  @Test
  void flowControlErrorsCarryNoStackTraceAndKeepTheirCodes() {
    // made per call under load: a stack trace would cost more than the answer and say nothing
    Throwable saturated = new PoolSaturatedException("p", "1 READY replica(s) at their limit of 1 calls in flight");
    Throwable noReplica = new NoReadyReplicaException("p", "0 of 1 replicas READY: p-0 STARTING");
    assertThat(saturated.getStackTrace()).isEmpty();
    assertThat(noReplica.getStackTrace()).isEmpty();
    assertThat(StatusMapper.toStatus(saturated).getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(StatusMapper.toStatus(noReplica).getCode()).isEqualTo(Code.UNAVAILABLE);
    assertThat(StatusMapper.toStatus(step(noReplica)).getCode()).isEqualTo(Code.UNAVAILABLE);
  }

  @Test
  void userMistakesAreNeverInternal() {
    for (Throwable e : List.of(new InvalidRequestException("a"), new TensorFormatException("b"),
        new PipelineInputException("c"), step(new PipelineInputException("d")))) {
      assertThat(StatusMapper.toStatus(e).getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    }
  }

  /** What admission refuses a request with, once its one place is taken. */
  private static Throwable refusedAtTheDoor() {
    Admission admission = new Admission(new AdmissionConfig(1, 1.0, java.util.Map.of()));
    admission.run("chat", java.util.concurrent.CompletableFuture::new);
    return admission.run("chat", java.util.concurrent.CompletableFuture::new).handle((v, t) -> t).join();
  }
}
