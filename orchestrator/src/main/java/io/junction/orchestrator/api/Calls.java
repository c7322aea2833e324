package io.junction.orchestrator.api;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How every handler answers, unary or server-streaming: it starts the call, returns at once
 * (handlers run on the transport's event loop and must never block), and completes the observer
 * when the future does, with errors through the {@link StatusMapper}. A client that goes away
 * cancels the future.
 */
final class Calls {
  private Calls() {}

  /** The call's deadline, or {@code fallback} from now when the client set none. */
  static Deadline deadline(Duration fallback) {
    Deadline d = Context.current().getDeadline();
    return d != null ? d : Deadline.after(fallback.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Runs {@code call} and answers with {@code toResponse} of its result. Exceptions thrown while
   * starting (a request that fails validation) or while translating the result are answered the
   * same way as a failed future. {@code call}'s own future is the one cancelled when the client
   * goes away: cancelling a dependent stage would not reach the pipeline.
   */
  static <S, T> void respond(StreamObserver<T> observer, Supplier<CompletableFuture<S>> call,
      Function<? super S, ? extends T> toResponse) {
    answer(observer, events -> call.get(), toResponse);
  }

  /**
   * How every server-streaming handler answers: as {@link #respond} does, and meanwhile
   * {@code call} gets a sink for the events before the last, which its future's value is. The
   * sink sends one event at a time (steps on different threads may produce them at once) and
   * drops what comes after the last event, an error or a cancel; it never blocks. Events are not
   * dropped for a client that reads slowly: what bounds them is the caller's (a reply's loop
   * iterations).
   */
  static <T> void stream(StreamObserver<T> observer, Function<Consumer<T>, CompletableFuture<T>> call) {
    answer(observer, call, Function.identity());
  }

  private static <S, T> void answer(StreamObserver<T> observer, Function<Consumer<T>, CompletableFuture<S>> call,
      Function<? super S, ? extends T> toLast) {
    AtomicReference<CompletableFuture<S>> running = new AtomicReference<>();
    ServerCallStreamObserver<T> serverObserver =
        observer instanceof ServerCallStreamObserver<T> s ? s : null;
    if (serverObserver != null) {
      // Set before the call starts so that a cancellation is never missed; cancelling the future
      // lets the pipeline stop scheduling steps for a client that is gone (a deadline that passes
      // cancels the call too).
      serverObserver.setOnCancelHandler(() -> {
        CompletableFuture<S> f = running.get();
        if (f != null) {
          f.cancel(false);
        }
      });
    }
    Outbox<T> out = new Outbox<>(observer, serverObserver);
    CompletableFuture<S> future;
    try {
      future = call.apply(out::send);
    } catch (RuntimeException e) {
      out.fail(e);
      return;
    }
    running.set(future);
    if (serverObserver != null && serverObserver.isCancelled()) {
      future.cancel(false); // cancelled while it started, before the handler could see the future
    }
    future.whenComplete((value, error) -> {
      T last;
      try {
        if (error != null) {
          throw error;
        }
        last = toLast.apply(value);
      } catch (Throwable t) {
        out.fail(t);
        return;
      }
      out.finish(last);
    });
  }

  /** One call's messages: one at a time on the wire, and none after the last, an error or a cancel. */
  static final class Outbox<T> {
    private final StreamObserver<T> observer;
    /** Null outside a gRPC server (a test's observer): then nothing is ever cancelled. */
    private final ServerCallStreamObserver<T> server;
    @GuardedBy("this") private boolean closed;

    Outbox(StreamObserver<T> observer, ServerCallStreamObserver<T> server) {
      this.observer = observer;
      this.server = server;
    }

    private boolean cancelled() {
      return server != null && server.isCancelled();
    }

    /** An event before the last; a throw here (a broken call) fails the run that sent it. */
    synchronized void send(T event) {
      if (!closed && !cancelled()) {
        observer.onNext(event);
      }
    }

    synchronized void finish(T last) {
      if (closed) {
        return;
      }
      closed = true;
      if (!cancelled()) {
        observer.onNext(last);
        observer.onCompleted();
      }
    }

    /** Ends the call with no last event of its own (a stream whose last turn already sent its own). */
    synchronized void complete() {
      if (closed) {
        return;
      }
      closed = true;
      if (!cancelled()) {
        observer.onCompleted();
      }
    }

    synchronized void fail(Throwable error) {
      if (closed) {
        return;
      }
      closed = true;
      if (!cancelled()) {
        observer.onError(StatusMapper.toException(error));
      }
    }
  }

  /** {@link #respond(StreamObserver, Supplier, Function)} for a call whose result is the response. */
  static <T> void respond(StreamObserver<T> observer, Supplier<CompletableFuture<T>> call) {
    respond(observer, call, Function.identity());
  }

  /** Answers at once: for calls that only read in-memory state. */
  static <T> void respondNow(StreamObserver<T> observer, Supplier<T> response) {
    respond(observer, () -> CompletableFuture.completedFuture(response.get()));
  }

  /**
   * {@code source.thenApply(f)}, except that cancelling the result cancels {@code source} too
   * (a plain dependent stage does not), so that a cancelled call still reaches the pipeline.
   */
  static <A, B> CompletableFuture<B> thenApply(CompletableFuture<A> source, Function<? super A, ? extends B> f) {
    CompletableFuture<B> out = source.thenApply(f);
    out.whenComplete((v, e) -> {
      if (out.isCancelled()) {
        source.cancel(false);
      }
    });
    return out;
  }
}
