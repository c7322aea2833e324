package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.ListModelsRequest;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.ModelInfo;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.ScoredItem;
import io.junction.proto.v1.TensorSpec;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fuzz acceptance test: the demo orchestrator with its real workers, sent at least 10,000
 * generated and mutated requests over every public RPC (typed, streaming, PipelineService, the
 * Open Inference Protocol, AdminService, health), 8 in flight, some cancelled, some with an
 * expired or tiny deadline. No answer may be INTERNAL or UNKNOWN (in-band stream errors
 * included), no worker may be restarted, and afterwards the server is SERVING and answers
 * correct requests correctly. On the fork's {@link SharedDemo} (the fuzz drains no replica: the
 * demo's are each their pool's last), so restarts and the log are judged from the fuzz's start on.
 *
 * <p>The seed is printed at the start and in every failure; replay one with
 * {@code -Djunction.fuzz.seed=N} (and {@code -Djunction.fuzz.requests=N} for a longer run).
 * Requests are generated in order on the test thread, so a seed gives the same requests; the
 * server's interleaving of the 8 in flight is not replayed.
 */
@ExtendWith(SharedDemo.class)
class FuzzTest {
  private static final int IN_FLIGHT = 8;
  private static final Duration BUDGET = Duration.ofMinutes(10);
  private static final int SHOWN_FAILURES = 8;

  private static long seed;
  private static OrchestratorProcess orchestrator;
  private static ManagedChannel channel;

  /** How a request's call is made. */
  private enum Mode { NORMAL, CANCELLED, EXPIRED, TINY_DEADLINE }

  private record Failure(int index, String method, Mode mode, String status, String request) {
    @Override
    public String toString() {
      return "#" + index + " " + method + " (" + mode + "): " + status + "\n    request: " + request;
    }
  }

  @BeforeAll
  static void start(OrchestratorProcess demo) {
    seed = Long.getLong("junction.fuzz.seed", System.nanoTime());
    System.out.println("[fuzz] seed " + seed + " (replay with -Djunction.fuzz.seed=" + seed + ")");
    orchestrator = demo;
    channel = NettyChannelBuilder.forAddress("127.0.0.1", orchestrator.port).usePlaintext()
        .maxInboundMessageSize(64 * 1024 * 1024).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  @Test
  void garbageIsNeverInternalOrUnknownAndTheServerStillServesCorrectly() throws Exception {
    int requests = Integer.getInteger("junction.fuzz.requests", 10_000);
    Random random = new Random(seed);
    FuzzRequests generator = new FuzzRequests(random, models(), pipelines(), 16 * 1024 * 1024);
    List<String> every = java.util.stream.Stream.of(ConversationServiceGrpc.getServiceDescriptor(),
            RecommendationServiceGrpc.getServiceDescriptor(), PipelineServiceGrpc.getServiceDescriptor(),
            GRPCInferenceServiceGrpc.getServiceDescriptor(), AdminServiceGrpc.getServiceDescriptor())
        .flatMap(s -> s.getMethods().stream()).map(m -> m.getFullMethodName()).toList();
    assertThat(generator.methods()).as("methods fuzzed").containsAll(every);
    Map<String, Integer> restartsBefore = restarts();
    long logBefore = Files.size(orchestrator.log);

    List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
    Map<String, AtomicInteger> codes = new ConcurrentHashMap<>();
    Semaphore permits = new Semaphore(IN_FLIGHT);
    ScheduledExecutorService canceller = Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    int sent = 0;
    try {
      for (; sent < requests && System.nanoTime() - start < BUDGET.toNanos(); sent++) {
        FuzzRequests.Request r = generator.next();
        Mode mode = mode(random);
        long delayMicros = random.nextInt(20_000);
        permits.acquire();
        send(sent, r, mode, delayMicros, canceller, permits, failures, codes);
      }
      assertThat(permits.tryAcquire(IN_FLIGHT, 90, TimeUnit.SECONDS)).as("the last calls ended").isTrue();
    } finally {
      canceller.shutdownNow();
    }
    System.out.printf("[fuzz] seed %d: %d requests in %.1f s%n", seed, sent, (System.nanoTime() - start) / 1e9);
    new TreeMap<>(codes).forEach((k, v) -> System.out.println("[fuzz]   " + k + ": " + v));

    assertThat(sent).as("requests sent within %s (seed %d)", BUDGET, seed).isEqualTo(requests);
    assertThat(failures)
        .as("INTERNAL or UNKNOWN answers with seed %d (replay with -Djunction.fuzz.seed=%d); the first %d:\n%s",
            seed, seed, SHOWN_FAILURES, String.join("\n", failures.stream().limit(SHOWN_FAILURES).map(Failure::toString).toList()))
        .isEmpty();
    assertServesCorrectly(restartsBefore, logBefore);
  }

  private static Mode mode(Random random) {
    int r = random.nextInt(100);
    return r < 80 ? Mode.NORMAL : r < 90 ? Mode.CANCELLED : r < 95 ? Mode.EXPIRED : Mode.TINY_DEADLINE;
  }

  private static void send(int index, FuzzRequests.Request r, Mode mode, long delayMicros,
      ScheduledExecutorService canceller, Semaphore permits, List<Failure> failures, Map<String, AtomicInteger> codes) {
    CallOptions options = switch (mode) {
      case NORMAL, CANCELLED -> CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
      case EXPIRED -> CallOptions.DEFAULT.withDeadlineAfter(-delayMicros, TimeUnit.MICROSECONDS);
      case TINY_DEADLINE -> CallOptions.DEFAULT.withDeadlineAfter(1 + delayMicros / 4, TimeUnit.MICROSECONDS);
    };
    String method = r.method().getFullMethodName();
    ClientCall<byte[], byte[]> call = channel.newCall(r.method(), options);
    AtomicBoolean ended = new AtomicBoolean();
    StreamObserver<byte[]> responses = new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        if (method.equals(GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName())) {
          inBand(value);
        }
      }

      /** A ModelStreamInfer request's error comes in the stream: it must not be an internal one either. */
      private void inBand(byte[] value) {
        try {
          String error = ModelStreamInferResponse.parseFrom(value).getErrorMessage();
          if (error.startsWith("internal error")) {
            failures.add(new Failure(index, method, mode, "in-band error_message: " + error, r.description()));
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          failures.add(new Failure(index, method, mode, "response does not parse: " + e, r.description()));
        }
      }

      @Override
      public void onError(Throwable t) {
        end(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        end(Status.OK);
      }

      private void end(Status status) {
        if (!ended.compareAndSet(false, true)) {
          return;
        }
        codes.computeIfAbsent(mode + " " + status.getCode(), k -> new AtomicInteger()).incrementAndGet();
        if (mode == Mode.NORMAL && (status.getCode() == Status.Code.CANCELLED
            || status.getCode() == Status.Code.DEADLINE_EXCEEDED)) {
          // a stream whose later message is over the limit is reset by grpc-java (CANCEL) before its status
          System.out.println("[fuzz]   note: #" + index + " " + method + " " + status + "; request: "
              + java.util.Arrays.stream(r.description().split(" \\| "))
                  .map(d -> d.substring(0, Math.min(100, d.length()))).toList());
        }
        if (status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNKNOWN) {
          failures.add(new Failure(index, method, mode, status.getCode() + ": " + status.getDescription(), r.description()));
        }
        permits.release();
      }
    };
    switch (r.method().getType()) {
      case UNARY -> ClientCalls.asyncUnaryCall(call, r.messages().get(0), responses);
      case SERVER_STREAMING -> ClientCalls.asyncServerStreamingCall(call, r.messages().get(0), responses);
      default -> {
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(call, responses);
        r.messages().forEach(requests::onNext);
        if (mode != Mode.CANCELLED || delayMicros % 2 == 0) {
          requests.onCompleted();
        }
      }
    }
    if (mode == Mode.CANCELLED) {
      if (delayMicros < 2_000) {
        call.cancel("fuzz: cancelled at once", null);
      } else {
        canceller.schedule(() -> call.cancel("fuzz: cancelled", null), delayMicros, TimeUnit.MICROSECONDS);
      }
    }
  }

  /** Each replica's restarts so far, by replica id. */
  private static Map<String, Integer> restarts() {
    Map<String, Integer> restarts = new TreeMap<>();
    for (var pool : orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()).getPoolsList()) {
      for (ReplicaInfo replica : pool.getReplicasList()) {
        restarts.put(replica.getId(), replica.getRestarts());
      }
    }
    assertThat(restarts).as("the demo's replicas").isNotEmpty();
    return restarts;
  }

  /**
   * After the storm: the process lives, no worker was restarted during it (the same replicas with
   * the restarts they had), health is SERVING, answers are right, and the log written since
   * {@code logBefore} tells of no internal error.
   */
  private static void assertServesCorrectly(Map<String, Integer> restartsBefore, long logBefore) throws Exception {
    assertThat(orchestrator.process.isAlive()).as("orchestrator alive (seed %d)", seed).isTrue();
    ListPoolsResponse pools = orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance());
    for (var pool : pools.getPoolsList()) {
      for (ReplicaInfo replica : pool.getReplicasList()) {
        assertThat(replica.getState()).as("replica %s (seed %d)", replica.getId(), seed).isEqualTo("READY");
      }
    }
    assertThat(restarts()).as("restarts of each replica, before the fuzz and after it (seed %d): %s", seed, pools)
        .isEqualTo(restartsBefore);
    assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);

    ConverseResponse converse = ConversationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .converse(ConverseRequest.newBuilder().setText("I want to book a flight to Paris").build());
    assertThat(converse.getIntent()).isEqualTo("book_flight");
    assertThat(converse.getTokensList()).isNotEmpty();

    RecommendResponse recommend = RecommendationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .recommend(RecommendRequest.newBuilder().setUserId(42).setK(10).build());
    assertThat(recommend.getItemsList()).extracting(ScoredItem::getItemId).hasSize(10).doesNotHaveDuplicates();

    ModelInferResponse infer = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .modelInfer(ModelInferRequest.newBuilder().setModelName("user_tower")
            .addInputs(TensorCodec.toTypedInput(Tensor.ofLongs("user_id", new long[] {2}, 1, 2))).build());
    List<Tensor> outputs = TensorCodec.fromOutputs(infer.getOutputsList(), infer.getRawOutputContentsList());
    assertThat(outputs).extracting(Tensor::name).containsExactly("embedding");
    assertThat(outputs.get(0).shape()).containsExactly(2L, 32L);

    // An INTERNAL is logged by the StatusMapper that made it, the in-band ones of a stream too;
    // a worker's is logged by the worker's (its output is relayed into this log) and reaches the
    // client as UNAVAILABLE, so it is only seen here: a worker that fails on garbage is a bug too.
    assertThat(logSince(logBefore)).as("orchestrator log since the fuzz started (seed %d)", seed)
        .doesNotContain("mapped to INTERNAL")
        .doesNotContain("StatusMapper - Internal error")
        .doesNotContain("StatusMapper - Unexpected error");
  }

  /** What the orchestrator (and the workers, whose output it relays) logged from byte {@code offset} on. */
  private static String logSince(long offset) throws IOException {
    try (var in = Files.newInputStream(orchestrator.log)) {
      in.skipNBytes(offset);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Map<String, List<TensorSpec>> models() {
    Map<String, List<TensorSpec>> models = new LinkedHashMap<>();
    for (ModelInfo m : orchestrator.admin().listModels(ListModelsRequest.getDefaultInstance()).getModelsList()) {
      models.put(m.getName(), m.getInputsList());
    }
    assertThat(models).containsKeys("featurizer", "user_tower", "ranker", "responder");
    return models;
  }

  private static Map<String, List<TensorSpec>> pipelines() {
    Map<String, List<TensorSpec>> pipelines = new LinkedHashMap<>();
    for (PipelineInfo p : orchestrator.admin().listPipelines(ListPipelinesRequest.getDefaultInstance()).getPipelinesList()) {
      pipelines.put(p.getName(), p.getInputsList());
    }
    assertThat(pipelines).containsKeys("chat", "recommend");
    return pipelines;
  }
}
