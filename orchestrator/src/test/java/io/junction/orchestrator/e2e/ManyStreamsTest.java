package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.EndSessionRequest;
import io.junction.proto.v1.ListSessionsRequest;
import io.junction.proto.v1.SessionInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Many conversations at once against the real demo: 1,000 Chat streams held open (idle between
 * their turns) while 200 ConverseStream calls run, every reply correct and independent (each
 * stream gets its own text's reply and its own session), and the orchestrator's resident memory
 * bounded while the streams stay open. On the fork's {@link SharedDemo}: the test ends the streams
 * and the sessions it made, which the demo would keep for half an hour, and which, listed least
 * recently used first and at most 1,000 at a time, would hide the sessions of the classes after it.
 */
@ExtendWith(SharedDemo.class)
class ManyStreamsTest {
  private static final int CHATS = 1000;
  private static final int STREAMS = 200;
  private static final List<String> TEXTS = List.of("I want to book a flight to Paris", "hello there",
      "what's the weather like tomorrow", "book a table for two", "thanks, goodbye");
  /** Generous: 1,000 open streams hold a few hundred bytes each; the bound is against a leak of runs or events. */
  private static final long MAX_RSS_GROWTH_KB = 256 * 1024;

  private static OrchestratorProcess orchestrator;
  private static final Map<String, ConverseResponse> expected = new HashMap<>();

  @BeforeAll
  static void start(OrchestratorProcess demo) {
    orchestrator = demo;
    ConversationServiceGrpc.ConversationServiceBlockingStub unary =
        ConversationServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    for (String t : TEXTS) {
      expected.put(t, unary.converse(ConverseRequest.newBuilder().setText(t).build()));
    }
  }

  /** Ends the sessions the test made (those it did not get to are not found, which is fine). */
  @AfterAll
  static void endSessions() {
    AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(orchestrator.channel);
    List<String> ids = new ArrayList<>();
    IntStream.range(0, CHATS).forEach(i -> ids.add("many-" + i));
    IntStream.range(0, STREAMS).forEach(i -> ids.add("stream-" + i));
    for (String id : ids) {
      try {
        admin.withDeadlineAfter(10, TimeUnit.SECONDS).endSession(EndSessionRequest.newBuilder().setSessionId(id).build());
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).as("ending session %s: %s", id, e.getStatus()).isEqualTo(Status.Code.NOT_FOUND);
      }
    }
  }

  /** One Chat stream: the done events of its turns, in order, and its end. */
  private static final class Chat implements StreamObserver<ConverseEvent> {
    final ConcurrentLinkedQueue<ConverseEvent> events = new ConcurrentLinkedQueue<>();
    final List<CompletableFuture<ConverseResponse>> turns = new ArrayList<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    StreamObserver<ConverseRequest> requests;
    private int answered;
    private boolean closed;

    @Override
    public synchronized void onNext(ConverseEvent e) {
      events.add(e);
      if (e.hasDone()) {
        turns.get(answered++).complete(e.getDone());
      }
    }

    @Override
    public void onError(Throwable t) {
      ended.completeExceptionally(t);
      synchronized (this) {
        turns.forEach(f -> f.completeExceptionally(t));
      }
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }

    synchronized void close() {
      closed = true;
      requests.onCompleted();
    }

    /** Cancels the stream unless the test closed it: a test that failed early leaves none open. */
    synchronized void cancelUnlessClosed() {
      if (!closed) {
        closed = true;
        requests.onError(Status.CANCELLED.withDescription("the test ended").asRuntimeException());
      }
    }

    synchronized CompletableFuture<ConverseResponse> send(ConverseRequest request) {
      CompletableFuture<ConverseResponse> f = new CompletableFuture<>();
      turns.add(f);
      requests.onNext(request);
      return f;
    }
  }

  private static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(orchestrator.process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for the orchestrator");
  }

  private static String text(int i) {
    return TEXTS.get(i % TEXTS.size());
  }

  @Test
  void aThousandChatStreamsHeldOpenAndTwoHundredConverseStreamsAllGetTheirOwnCorrectReplies() throws Exception {
    ConversationServiceGrpc.ConversationServiceStub stub = ConversationServiceGrpc.newStub(orchestrator.channel);
    List<Chat> chats = new ArrayList<>(CHATS);
    try {
      holdManyStreams(stub, chats);
    } finally {
      chats.forEach(Chat::cancelUnlessClosed);
    }
  }

  private static void holdManyStreams(ConversationServiceGrpc.ConversationServiceStub stub, List<Chat> chats)
      throws Exception {
    List<CompletableFuture<ConverseResponse>> firstTurns = new ArrayList<>(CHATS);
    for (int i = 0; i < CHATS; i++) {
      Chat c = new Chat();
      c.requests = stub.withDeadlineAfter(300, TimeUnit.SECONDS).chat(c);
      chats.add(c);
      firstTurns.add(c.send(ConverseRequest.newBuilder().setText(text(i)).setSessionId("many-" + i).build()));
    }
    CompletableFuture.allOf(firstTurns.toArray(CompletableFuture[]::new)).get(240, TimeUnit.SECONDS);
    long rssOpen = rssKb();

    // With every Chat stream open and idle: 200 ConverseStream calls at once.
    List<CompletableFuture<List<ConverseEvent>>> streams = new ArrayList<>(STREAMS);
    for (int i = 0; i < STREAMS; i++) {
      CompletableFuture<List<ConverseEvent>> f = new CompletableFuture<>();
      List<ConverseEvent> got = new ArrayList<>();
      stub.withDeadlineAfter(120, TimeUnit.SECONDS).converseStream(
          ConverseRequest.newBuilder().setText(text(i)).setSessionId("stream-" + i).build(), new StreamObserver<>() {
            @Override
            public synchronized void onNext(ConverseEvent e) {
              got.add(e);
            }

            @Override
            public void onError(Throwable t) {
              f.completeExceptionally(t);
            }

            @Override
            public synchronized void onCompleted() {
              f.complete(got);
            }
          });
      streams.add(f);
    }
    for (int i = 0; i < STREAMS; i++) {
      List<ConverseEvent> events = streams.get(i).get(120, TimeUnit.SECONDS);
      ConverseResponse done = events.get(events.size() - 1).getDone();
      assertThat(done.getReply()).as("stream %d", i).isEqualTo(expected.get(text(i)).getReply());
      assertThat(done.getSessionId()).isEqualTo("stream-" + i);
      assertThat(events.subList(1, events.size() - 1)).extracting(ConverseEvent::getToken)
          .isEqualTo(done.getTokensList());
    }

    // A second turn on every Chat stream, each with another text than its first.
    List<CompletableFuture<ConverseResponse>> secondTurns = new ArrayList<>(CHATS);
    for (int i = 0; i < CHATS; i++) {
      secondTurns.add(chats.get(i).send(ConverseRequest.newBuilder().setText(text(i + 1)).build()));
    }
    CompletableFuture.allOf(secondTurns.toArray(CompletableFuture[]::new)).get(240, TimeUnit.SECONDS);
    long rssAfter = rssKb();
    for (int i = 0; i < CHATS; i++) {
      ConverseResponse first = firstTurns.get(i).get();
      ConverseResponse second = secondTurns.get(i).get();
      assertThat(first.getReply()).as("chat %d, turn 1", i).isEqualTo(expected.get(text(i)).getReply());
      assertThat(second.getReply()).as("chat %d, turn 2", i).isEqualTo(expected.get(text(i + 1)).getReply());
      assertThat(List.of(first.getSessionId(), second.getSessionId())).containsOnly("many-" + i);
      // Nothing of another stream in this one: its events are its two turns' own.
      assertThat(chats.get(i).events.stream().filter(ConverseEvent::hasToken).map(ConverseEvent::getToken).toList())
          .isEqualTo(concat(first.getTokensList(), second.getTokensList()));
    }
    for (Chat c : chats) {
      c.close();
    }
    for (Chat c : chats) {
      c.ended.get(60, TimeUnit.SECONDS);
    }
    List<SessionInfo> sessions = orchestrator.admin().listSessions(ListSessionsRequest.newBuilder().setLimit(1000)
        .build()).getSessionsList();
    assertThat(sessions).filteredOn(s -> s.getSessionId().startsWith("many-"))
        .allSatisfy(s -> assertThat(s.getTurns()).isEqualTo(2));
    System.out.printf("orchestrator RSS: %d MiB with %d Chat streams open after one turn each; %d MiB after "
        + "%d ConverseStream calls and a second turn on each%n", rssOpen / 1024, CHATS, rssAfter / 1024, STREAMS);
    assertThat(rssAfter - rssOpen).as("RSS growth in KiB while the streams stayed open").isLessThan(MAX_RSS_GROWTH_KB);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
