package io.junction.orchestrator.api;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One {@code Chat} stream: a conversation of turns, one at a time. Each request is a turn whose
 * events ({@code intent}, {@code token}…, {@code done}) go out in order; the next request is read
 * only once the previous turn's {@code done} is sent, so a client cannot queue turns faster than
 * they are answered and an idle stream holds nothing but itself (no worker capacity, no run). The
 * first request's session id, or one made for the stream when it names none, holds for every turn.
 * A client that stops reading stops the conversation too: the next turn is read only once the
 * transport can take more events ({@code isReady}), so a client that sends turns and never reads
 * their replies leaves at most one turn's events buffered on the server.
 * A failed turn ends the stream with its status, as a failed ConverseStream does; a cancelled
 * stream cancels the turn in flight.
 *
 * <p>When the server drains, the turn in flight (if any) is finished and its events sent, and the
 * stream then ends with UNAVAILABLE ({@link ServerDrainingException}): the client reopens it on
 * another orchestrator and goes on with the same session id. A turn read after the drain began
 * gets that status instead of an answer. A client that half-closed gets OK as usual.
 */
final class ChatStream implements StreamObserver<ConverseRequest> {
  private final Calls.Outbox<ConverseEvent> out;
  private final ServerCallStreamObserver<ConverseEvent> server;
  /** Starts one turn: its events go to the sink, its future is its done event. */
  private final BiFunction<ConverseRequest, Consumer<ConverseEvent>, CompletableFuture<ConverseEvent>> turn;
  private final Supplier<String> newSession;
  private final Draining draining;
  /** Stops the drain from telling this stream, once it has ended on its own. */
  private volatile Runnable unregister = () -> {};

  @GuardedBy("this") private String session;
  @GuardedBy("this") private CompletableFuture<ConverseEvent> running;
  @GuardedBy("this") private boolean halfClosed;
  @GuardedBy("this") private boolean ended;
  /** A turn is done and the next one waits for the client to read what was sent. */
  @GuardedBy("this") private boolean nextWhenReady;

  private ChatStream(ServerCallStreamObserver<ConverseEvent> server,
      BiFunction<ConverseRequest, Consumer<ConverseEvent>, CompletableFuture<ConverseEvent>> turn,
      Supplier<String> newSession, Draining draining) {
    this.server = server;
    this.draining = draining;
    this.out = new Calls.Outbox<>(server, server);
    this.turn = turn;
    this.newSession = newSession;
  }

  /** Called from the service's handler, before it returns: reads the first turn. */
  static ChatStream start(StreamObserver<ConverseEvent> observer,
      BiFunction<ConverseRequest, Consumer<ConverseEvent>, CompletableFuture<ConverseEvent>> turn,
      Supplier<String> newSession, Draining draining) {
    ServerCallStreamObserver<ConverseEvent> server = (ServerCallStreamObserver<ConverseEvent>) observer;
    ChatStream chat = new ChatStream(server, turn, newSession, draining);
    server.disableAutoRequest();
    server.setOnCancelHandler(chat::cancelled);
    server.setOnReadyHandler(chat::ready);
    chat.unregister = draining.register(chat::drained);
    server.request(1);
    return chat;
  }

  @Override
  public void onNext(ConverseRequest request) {
    CompletableFuture<ConverseEvent> done;
    synchronized (this) {
      if (ended) {
        return;
      }
      if (draining.isDraining()) {
        end();
        out.fail(new ServerDrainingException("Chat turn"));
        return;
      }
      try {
        request = withSession(request);
        done = turn.apply(request, out::send);
      } catch (RuntimeException e) {
        end();
        out.fail(e);
        return;
      }
      running = done;
    }
    done.whenComplete((last, error) -> {
      boolean close;
      boolean drained;
      synchronized (this) {
        running = null;
        if (ended) {
          return;
        }
        if (error != null) {
          end();
          out.fail(error);
          return;
        }
        out.send(last);
        close = halfClosed;
        drained = !close && draining.isDraining();
        if (close || drained) {
          end();
        }
      }
      if (close) {
        out.complete();
      } else if (drained) {
        out.fail(new ServerDrainingException("Chat stream"));
      } else {
        readNextTurn();
      }
    });
  }

  /** Reads the next turn now if the client reads what it was sent, else once it does ({@link #ready}). */
  private void readNextTurn() {
    synchronized (this) {
      if (ended) {
        return;
      }
      if (!server.isReady()) {
        nextWhenReady = true;
        return;
      }
    }
    server.request(1);
  }

  /** The transport can take more events: a turn that waited for the client to read is read now. */
  private void ready() {
    synchronized (this) {
      if (!nextWhenReady || ended) {
        return;
      }
      nextWhenReady = false;
    }
    readNextTurn();
  }

  /** The stream's session on this turn: fixed by the first turn, repeated or left empty by the others. */
  @GuardedBy("this")
  private ConverseRequest withSession(ConverseRequest request) {
    String asked = SessionIds.check(request.getSessionId());
    if (session == null) {
      session = asked.isEmpty() ? newSession.get() : asked;
    } else if (!asked.isEmpty() && !asked.equals(session)) {
      throw new InvalidRequestException("session_id: \"" + asked + "\" (expected: empty or \"" + session
          + "\", the session of this Chat stream; open another stream for another session)");
    }
    return request.toBuilder().setSessionId(session).build();
  }

  @Override
  public synchronized void onError(Throwable t) {
    cancelled();
  }

  @Override
  public void onCompleted() {
    synchronized (this) {
      if (ended) {
        return;
      }
      halfClosed = true;
      if (running != null) {
        return; // the turn in flight closes the stream when it is done
      }
      end();
    }
    out.complete();
  }

  /**
   * The server began to drain: an idle stream ends now with UNAVAILABLE; one with a turn in
   * flight ends so once that turn's events are sent (see {@link #onNext}).
   */
  private void drained() {
    synchronized (this) {
      if (ended || running != null) {
        return;
      }
      end();
    }
    out.fail(new ServerDrainingException("Chat stream"));
  }

  private synchronized void cancelled() {
    CompletableFuture<ConverseEvent> r = running;
    end();
    if (r != null) {
      r.cancel(false);
    }
  }

  @GuardedBy("this")
  private void end() {
    ended = true;
    unregister.run();
  }
}
