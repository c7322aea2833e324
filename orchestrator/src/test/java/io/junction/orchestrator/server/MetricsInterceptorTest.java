package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.junction.engine.PipelineResult;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.ConversationService;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.InProcess;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Each call is counted once, with its status code, and timed on the injected clock. */
class MetricsInterceptorTest {
  private static final String SERVICE = "junction.v1.ConversationService";

  @Test
  void countsEachCallOnceByOutcomeAndTimesItOnTheClock() throws Exception {
    AtomicLong clock = new AtomicLong();
    CompletableFuture<PipelineResult> pending = new CompletableFuture<>();
    FakePipelines pipelines = new FakePipelines().put(FakePipelines.chat(), (in, o, d) -> {
      String text = in.get(0).strings().get(0);
      clock.addAndGet(2_000_000_000L);
      if (text.equals("wait")) {
        return pending;
      }
      return FakePipelines.done("chat", Tensor.ofStrings("intent", new long[] {1}, List.of("x")),
          Tensor.ofFloats("confidence", new long[] {1}, 1f), Tensor.ofStrings("tokens", new long[] {0}, List.of()));
    });
    RequestMetrics metrics = new RequestMetrics();
    ServerServiceDefinition counted = ServerInterceptors.intercept(
        new ConversationService(pipelines, ApiLimits.DEFAULT, clock::get), new MetricsInterceptor(metrics, clock::get));
    BindableService bindable = () -> counted;
    try (InProcess grpc = new InProcess(bindable)) {
      var stub = ConversationServiceGrpc.newBlockingStub(grpc.channel);
      stub.converse(ConverseRequest.newBuilder().setText("hi").build());
      try {
        stub.converse(ConverseRequest.newBuilder().setText("").build());
      } catch (StatusRuntimeException expected) {
        // counted as INVALID_ARGUMENT
      }
      Context.CancellableContext ctx = Context.current().withCancellation();
      CompletableFuture<Throwable> outcome = new CompletableFuture<>();
      ctx.run(() -> ConversationServiceGrpc.newStub(grpc.channel).converse(ConverseRequest.newBuilder().setText("wait").build(),
          new StreamObserver<ConverseResponse>() {
            @Override public void onNext(ConverseResponse value) {}
            @Override public void onError(Throwable t) { outcome.complete(t); }
            @Override public void onCompleted() { outcome.complete(null); }
          }));
      ctx.cancel(null);
      outcome.get(10, TimeUnit.SECONDS);
      // bounded wait: the server sees the cancellation on the transport's thread
      for (int i = 0; i < 1000 && !metrics.requests().getOrDefault(SERVICE, Map.of()).containsKey("CANCELLED"); i++) {
        Thread.sleep(10);
      }
      // a late completion of the cancelled run must not count the call a second time
      pending.complete(new PipelineResult("chat", List.of(), List.of()));
    }
    assertThat(metrics.requests()).isEqualTo(Map.of(SERVICE, Map.of("OK", 1L, "INVALID_ARGUMENT", 1L, "CANCELLED", 1L)));
    long[] timing = metrics.timings().get(SERVICE);
    assertThat(timing[0]).isEqualTo(3);
    assertThat(timing[1]).as("the OK call and the cancelled one each took 2 s on the clock").isEqualTo(4_000_000_000L);
  }
}
