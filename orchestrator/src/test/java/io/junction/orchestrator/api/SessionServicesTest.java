package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.junction.engine.PipelineResult;
import io.junction.engine.SessionInputs;
import io.junction.engine.StepFailedException;
import io.junction.orchestrator.pool.NoReadyReplicaException;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.orchestrator.session.Sessions;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.EndSessionRequest;
import io.junction.proto.v1.EndSessionResponse;
import io.junction.proto.v1.ListSessionsRequest;
import io.junction.proto.v1.ListSessionsResponse;
import io.junction.proto.v1.SessionInfo;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sessions through the services, in process: Converse reads a session before its pipeline runs
 * and records the answered turn; AdminService lists and ends sessions. One store shared by both,
 * on a hand-driven clock.
 */
class SessionServicesTest {
  private final AtomicLong clock = new AtomicLong(5_000_000_000L);
  private final FakePipelines pipelines = new FakePipelines();
  private final AtomicReference<String> nextIntent = new AtomicReference<>("book_flight");
  /** What each chat run was given, in order. */
  private final List<List<Tensor>> runs = new CopyOnWriteArrayList<>();
  private InProcess grpc;
  private ConversationServiceGrpc.ConversationServiceBlockingStub conversation;
  private AdminServiceGrpc.AdminServiceBlockingStub admin;

  @BeforeEach
  void start() {
    pipelines.put(FakePipelines.chat(), (in, o, d) -> {
      runs.add(in);
      return FakePipelines.done("chat",
          Tensor.ofStrings("intent", new long[] {1}, List.of(nextIntent.get())),
          Tensor.ofFloats("confidence", new long[] {1}, 0.9f),
          Tensor.ofStrings("tokens", new long[] {2}, List.of("sure", "thing")));
    });
    Sessions sessions = Sessions.create(new SessionConfig(3, 4, Duration.ofSeconds(60)), clock::get);
    grpc = new InProcess(new ConversationService(pipelines, ApiLimits.DEFAULT, sessions, clock::get),
        new AdminService(new FakePools(), pipelines, sessions));
    conversation = ConversationServiceGrpc.newBlockingStub(grpc.channel);
    admin = AdminServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterEach
  void stop() {
    grpc.close();
  }

  private void converse(String session, String text) {
    conversation.converse(ConverseRequest.newBuilder().setText(text).setSessionId(session).build());
  }

  private ListSessionsResponse list() {
    return admin.listSessions(ListSessionsRequest.getDefaultInstance());
  }

  private void advanceMillis(long ms) {
    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  private static Tensor input(List<Tensor> inputs, String name) {
    return inputs.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void twoTurnsWithOneSessionIdAreListedAndEndSessionRemovesThem() {
    converse("s-1", "book me a flight");
    advanceMillis(40);
    converse("s-1", " yes, two please ");
    advanceMillis(250);

    ListSessionsResponse listed = list();
    assertThat(listed.getCount()).isEqualTo(1);
    assertThat(listed.getOldestIdleMillis()).isEqualTo(250);
    assertThat(listed.getSessionsList()).containsExactly(SessionInfo.newBuilder()
        .setSessionId("s-1").setTurns(2).setKeptTurns(2).setPreviousIntent("book_flight")
        .setIdleMillis(250).setAgeMillis(290).build());

    EndSessionResponse ended = admin.endSession(EndSessionRequest.newBuilder().setSessionId("s-1").build());
    assertThat(ended.getSession().getTurns()).isEqualTo(2);
    assertThat(list().getCount()).isZero();
    assertThat(list().getSessionsList()).isEmpty();

    StatusRuntimeException again = assertThrows(StatusRuntimeException.class,
        () -> admin.endSession(EndSessionRequest.newBuilder().setSessionId("s-1").build()));
    assertThat(again.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
    assertThat(again.getStatus().getDescription()).startsWith("session_id: \"s-1\" (expected: a live session");

    converse("s-1", "hello again");
    assertThat(input(runs.get(2), SessionInputs.TURNS).longs()).as("an ended id starts afresh").containsExactly(0);
  }

  @Test
  void thePipelineGetsTheSessionsStateAsItWasBeforeEachTurn() {
    converse("s-1", "book me a flight");
    nextIntent.set("confirm");
    converse("s-1", "yes, two please");
    converse("s-1", "make it Tuesday");

    assertThat(runs).hasSize(3);
    assertThat(runs).allSatisfy(in -> assertThat(in).extracting(Tensor::name)
        .containsExactly("text", SessionInputs.PREVIOUS_INTENT, SessionInputs.TURNS));
    assertThat(runs).extracting(in -> input(in, SessionInputs.PREVIOUS_INTENT).strings().get(0))
        .containsExactly("", "book_flight", "confirm");
    assertThat(runs).extracting(in -> input(in, SessionInputs.TURNS).longs()[0]).containsExactly(0L, 1L, 2L);
    assertThat(runs).allSatisfy(in -> assertThat(input(in, SessionInputs.TURNS).shape()).containsExactly(1));
  }

  @Test
  void aRequestWithoutASessionIdGivesNoSessionValuesAndKeepsNothing() {
    converse("", "hello");
    assertThat(runs.get(0)).extracting(Tensor::name).containsExactly("text");
    assertThat(list().getCount()).isZero();
  }

  @Test
  void aTurnWhoseCallFailsIsNotRecorded() {
    converse("s-1", "book me a flight");
    pipelines.answer("chat", (in, o, d) -> CompletableFuture.<PipelineResult>failedFuture(
        new StepFailedException("chat", "classify", new NoReadyReplicaException("conv", "1 FAILED"))));
    assertThrows(StatusRuntimeException.class, () -> converse("s-1", "and a hotel"));
    assertThrows(StatusRuntimeException.class, () -> converse("s-2", "hi"));
    ListSessionsResponse listed = list();
    assertThat(listed.getSessionsList()).extracting(SessionInfo::getSessionId).containsExactly("s-1");
    assertThat(listed.getSessions(0).getTurns()).isEqualTo(1);
  }

  @Test
  void sessionsPastTheLimitAreEvictedLeastRecentlyUsedFirst() {
    for (String id : List.of("a", "b", "c")) {
      converse(id, "hi");
      advanceMillis(10);
    }
    converse("a", "again");
    converse("d", "hi");
    ListSessionsResponse listed = list();
    assertThat(listed.getCount()).isEqualTo(3);
    assertThat(listed.getSessionsList()).extracting(SessionInfo::getSessionId).containsExactly("c", "a", "d");
  }

  @Test
  void aSessionIdleForItsTtlStartsAFreshHistory() {
    converse("s-1", "book me a flight");
    advanceMillis(60_000);
    assertThat(list().getCount()).isZero();
    converse("s-1", "yes, two please");
    assertThat(input(runs.get(1), SessionInputs.TURNS).longs()).containsExactly(0);
    assertThat(input(runs.get(1), SessionInputs.PREVIOUS_INTENT).strings()).containsExactly("");
    assertThat(list().getSessions(0).getTurns()).isEqualTo(1);
  }

  @Test
  void listSessionsTakesALimitOf0To1000() {
    for (String id : List.of("a", "b", "c")) {
      converse(id, "hi");
    }
    assertThat(admin.listSessions(ListSessionsRequest.newBuilder().setLimit(2).build()).getSessionsCount()).isEqualTo(2);
    assertThat(admin.listSessions(ListSessionsRequest.newBuilder().setLimit(1000).build()).getSessionsCount()).isEqualTo(3);
    for (int limit : new int[] {-1, 1001}) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> admin.listSessions(ListSessionsRequest.newBuilder().setLimit(limit).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).isEqualTo("limit: " + limit + " (expected: 0 to 1000; 0 means 100)");
    }
  }

  @Test
  void endSessionNeedsAWellFormedId() {
    StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
        () -> admin.endSession(EndSessionRequest.getDefaultInstance()));
    assertThat(empty.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(empty.getStatus().getDescription())
        .isEqualTo("session_id: empty (expected: 1 to 128 characters of [A-Za-z0-9._:-])");
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
        () -> admin.endSession(EndSessionRequest.newBuilder().setSessionId("a b").build()));
    assertThat(bad.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(bad.getStatus().getDescription())
        .isEqualTo("session_id: \"a b\" (expected: 1 to 128 characters of [A-Za-z0-9._:-])");
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> admin.endSession(EndSessionRequest.newBuilder().setSessionId("nobody").build()));
    assertThat(unknown.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
  }
}
