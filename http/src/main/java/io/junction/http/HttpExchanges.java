package io.junction.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the HTTP calls of a process's REST routes on threads of their own, {@code queue} waiting
 * at most; one that finds the queue full is answered 503 at once by the thread that handed it
 * over. A thread waits for its call's gRPC answer, the event loops never do: they only complete
 * the call's future. So the threads bound how many HTTP calls run at once, and what keeps its
 * own thread (probes, scrapes) is not held up behind inference.
 *
 * <p>It owns the error answers every route shares (an {@link HttpFailure}, an unknown path, a
 * bug), and no routes: each process says which routes it serves ({@link Route}).
 */
public final class HttpExchanges {
  /** Concurrent HTTP calls: each thread mostly waits on a future, so several per core. */
  public static final int THREADS = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
  /** HTTP calls that may wait for a thread; one more is answered 503. */
  public static final int QUEUE = 64;

  private static final Logger log = LoggerFactory.getLogger(HttpExchanges.class);

  /** Routes of a process: answers the call at {@code path} (its segments), false when none matches. */
  @FunctionalInterface
  public interface Route {
    boolean serve(HttpCall call, List<String> path) throws IOException;
  }

  private final int maxBodyBytes;
  private final List<String> forwarded;
  private final String routes;
  private final int queue;
  private final ThreadPoolExecutor executor;

  /**
   * @param name         the threads' name prefix
   * @param maxBodyBytes the gRPC side's inbound message limit, the bound of a request body here too
   * @param forwarded    request headers passed on as gRPC metadata ({@link HttpCall#stub})
   * @param routes       what an unknown path is told to expect, e.g. "a route of docs/http.md, such as ..."
   */
  public HttpExchanges(String name, int threads, int queue, int maxBodyBytes, List<String> forwarded, String routes) {
    this.maxBodyBytes = maxBodyBytes;
    this.forwarded = List.copyOf(forwarded);
    this.routes = routes;
    this.queue = queue;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
  }

  /** Hands {@code exchange} to a thread that runs {@code route}; 503 at once when the queue is full. */
  public void handOver(HttpExchange exchange, Route route) throws IOException {
    try {
      executor.execute(() -> serve(exchange, route));
    } catch (RejectedExecutionException full) {
      try (exchange) {
        call(exchange).fail(new HttpFailure(503, "overloaded: more than " + queue
            + " HTTP calls waiting (expected: fewer at once; retry later)"));
      }
    }
  }

  public void stop() {
    executor.shutdownNow();
  }

  private HttpCall call(HttpExchange exchange) {
    return new HttpCall(exchange, maxBodyBytes, forwarded);
  }

  private void serve(HttpExchange exchange, Route route) {
    HttpCall call = call(exchange);
    try (exchange) {
      try {
        if (!route.serve(call, Routes.segments(exchange.getRequestURI().getPath()))) {
          throw new HttpFailure(404, "path: " + exchange.getRequestURI().getPath() + " (expected: " + routes + ")");
        }
      } catch (HttpFailure f) {
        call.fail(f);
      } catch (RuntimeException e) {
        log.error("HTTP {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        call.fail(new HttpFailure(500, "internal error (see the server's log): " + e.getClass().getSimpleName()));
      }
    } catch (IOException e) {
      // the client went away, or the answer had started: nothing more can be said to it
      log.debug("HTTP {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    }
  }
}
