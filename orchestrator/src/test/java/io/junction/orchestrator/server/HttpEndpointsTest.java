package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Deadline;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.junction.engine.ModelSignature;
import io.junction.orchestrator.admission.AdmissionSnapshot;
import io.junction.orchestrator.http.HttpApi;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.Pools;
import io.junction.orchestrator.pool.ReplicaStats;
import io.junction.tensor.Tensor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The HTTP endpoints' bounded queue, with scrapes held inside the workers' stats by the test. */
class HttpEndpointsTest {
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger scrapesStarted = new AtomicInteger();

  /** Pools whose workers' stats wait until the test releases them. */
  private final Pools pools = new Pools() {
    @Override
    public void start() {}

    @Override
    public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> inputs, List<String> outputs, Deadline deadline) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Map<String, ModelSignature> models() {
      return Map.of();
    }

    @Override
    public Optional<String> poolOf(String model) {
      return Optional.empty();
    }

    @Override
    public List<PoolSnapshot> snapshot() {
      return List.of();
    }

    @Override
    public List<ReplicaStats> workerStats(Duration timeout) {
      scrapesStarted.incrementAndGet();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of();
    }

    @Override
    public void close() {}
  };

  @Test
  void requestsBeyondTheQueueAreAnswered503AtOnceAndTheQueuedOnesStillServed() throws Exception {
    // no gRPC side behind the API routes: this test calls only /metrics
    HttpEndpoints endpoints = new HttpEndpoints("127.0.0.1", 0, pools, new RequestMetrics(),
        () -> new AdmissionSnapshot(3, 2, 10, 0, 1, 5, 1, 1), () -> false,
        new HttpApi(InProcessChannelBuilder.forName("none").build(), 1024));
    endpoints.start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
    try {
      URI metrics = URI.create("http://127.0.0.1:" + endpoints.port() + "/metrics");
      held.add(http.sendAsync(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()));
      for (int i = 0; i < 500 && scrapesStarted.get() == 0; i++) {
        Thread.sleep(10);
      }
      assertThat(scrapesStarted.get()).as("the first scrape runs and is held").isEqualTo(1);
      List<CompletableFuture<HttpResponse<String>>> more = new ArrayList<>();
      for (int i = 0; i < HttpExecutor.QUEUE + 8; i++) {
        more.add(http.sendAsync(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()));
      }
      // At most QUEUE of them wait for the held scrape; the other 8 are shed with 503 meanwhile.
      HttpResponse<String> shed = null;
      int shedCount = 0;
      for (int i = 0; i < 1_000 && shedCount < 8; i++) {
        Thread.sleep(10);
        shedCount = 0;
        for (CompletableFuture<HttpResponse<String>> f : more) {
          if (f.isDone() && !f.isCompletedExceptionally() && f.join().statusCode() == 503) {
            shed = f.join();
            shedCount++;
          }
        }
      }
      assertThat(shedCount).as("requests beyond the queue answered 503 while the scrape is held").isEqualTo(8);
      assertThat(shed.body()).isEqualTo("overloaded: more than " + HttpExecutor.QUEUE
          + " HTTP requests waiting (expected: fewer at once; retry later)\n");
      assertThat(shed.headers().firstValue("Retry-After")).contains("1");
      assertThat(scrapesStarted.get()).as("no shed request did the scrape's work").isEqualTo(1);

      release.countDown();
      HttpResponse<String> scrape = held.get(0).get(30, TimeUnit.SECONDS);
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body()).as("admission's figures, read at the scrape")
          .contains("junction_admission_in_flight{priority=\"batch\"} 2\n")
          .contains("junction_admission_refused_total{priority=\"batch\"} 1\n");
      int served = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> f : more) {
        int code = f.get(30, TimeUnit.SECONDS).statusCode();
        assertThat(code).isIn(200, 503);
        served += code == 200 ? 1 : 0;
        refused += code == 503 ? 1 : 0;
      }
      assertThat(refused).isEqualTo(8);
      assertThat(served).isEqualTo(HttpExecutor.QUEUE).isEqualTo(scrapesStarted.get() - 1);
    } finally {
      release.countDown();
      endpoints.stop();
    }
  }
}
