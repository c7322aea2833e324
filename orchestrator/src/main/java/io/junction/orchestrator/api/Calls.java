package io.junction.orchestrator.api;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How every unary handler answers: it starts the call, returns at once (handlers run on the
 * transport's event loop and must never block), and completes the observer when the future
 * does, with errors through the {@link StatusMapper}. A client that goes away cancels the future.
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
    AtomicReference<CompletableFuture<S>> running = new AtomicReference<>();
    ServerCallStreamObserver<T> serverObserver =
        observer instanceof ServerCallStreamObserver<T> s ? s : null;
    if (serverObserver != null) {
      // Set before the call starts so that a cancellation is never missed; cancelling the future
      // lets the pipeline stop scheduling steps for a client that is gone.
      serverObserver.setOnCancelHandler(() -> {
        CompletableFuture<S> f = running.get();
        if (f != null) {
          f.cancel(false);
        }
      });
    }
    CompletableFuture<S> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      observer.onError(StatusMapper.toException(e));
      return;
    }
    running.set(future);
    future.whenComplete((value, error) -> {
      if (serverObserver != null && serverObserver.isCancelled()) {
        return;
      }
      T response;
      try {
        if (error != null) {
          throw error;
        }
        response = toResponse.apply(value);
      } catch (Throwable t) {
        observer.onError(StatusMapper.toException(t));
        return;
      }
      observer.onNext(response);
      observer.onCompleted();
    });
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
