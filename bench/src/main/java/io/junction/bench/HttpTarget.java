package io.junction.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * An HTTP/1.1 JSON POST endpoint as a target (FastAPI, Ray Serve): keep-alive connections, one per
 * request in flight, from the JDK's client on a bounded, named executor.
 */
final class HttpTarget implements Target {
  private final ExecutorService executor;
  private final HttpClient client;
  private final List<HttpRequest> requests;
  private final BiFunction<JsonElement, Integer, String> check;

  /**
   * @param bodies one JSON body per reference case
   * @param check given an answer and the index of its case: null for a correct answer, else what is wrong
   */
  HttpTarget(URI url, int ioThreads, long deadlineMillis, List<String> bodies, BiFunction<JsonElement, Integer, String> check) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "bench-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.executor = Executors.newFixedThreadPool(ioThreads, threads);
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .executor(executor)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    this.requests = bodies.stream()
        .map(b -> HttpRequest.newBuilder(url)
            .timeout(Duration.ofMillis(deadlineMillis))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(b))
            .build())
        .toList();
    this.check = check;
  }

  @Override
  public int cases() {
    return requests.size();
  }

  @Override
  public void send(int caseIndex, Outcome outcome) {
    int kase = caseIndex % requests.size();
    client.sendAsync(requests.get(kase), HttpResponse.BodyHandlers.ofString())
        .whenComplete((response, failure) -> {
          if (failure != null) {
            outcome.error(failure.getClass().getSimpleName() + ": " + GrpcTarget.shorten(failure.getMessage()));
            return;
          }
          if (response.statusCode() != 200) {
            outcome.error("HTTP " + response.statusCode());
            return;
          }
          String wrong;
          try {
            wrong = check.apply(JsonParser.parseString(response.body()), kase);
          } catch (RuntimeException e) {
            wrong = "unreadable answer: " + GrpcTarget.shorten(e.getMessage());
          }
          if (wrong == null) {
            outcome.ok();
          } else {
            outcome.error("wrong answer: " + wrong);
          }
        });
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
