package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.junction.engine.PipelineResult;
import io.junction.engine.StepFailedException;
import io.junction.orchestrator.pool.ReplicaCallException;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ScoredItem;
import io.junction.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecommendationServiceTest {
  private static final FakePipelines pipelines = new FakePipelines();
  private static InProcess grpc;
  private static RecommendationServiceGrpc.RecommendationServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    pipelines.put(FakePipelines.recommend(), (in, o, d) -> ranked());
    grpc = new InProcess(new RecommendationService(pipelines, ApiLimits.DEFAULT, System::nanoTime));
    stub = RecommendationServiceGrpc.newBlockingStub(grpc.channel);
  }

  @AfterAll
  static void stop() {
    grpc.close();
  }

  @BeforeEach
  void reset() {
    pipelines.answer("recommend", (in, o, d) -> ranked());
    pipelines.forget();
  }

  /** 50 distinct items 100..149 with scores 50, 49, ..., 1: what the ranker promises. */
  private static CompletableFuture<PipelineResult> ranked() {
    long[] items = new long[50];
    float[] scores = new float[50];
    for (int i = 0; i < 50; i++) {
      items[i] = 100 + i;
      scores[i] = 50 - i;
    }
    return result(items, scores);
  }

  private static CompletableFuture<PipelineResult> result(long[] items, float[] scores) {
    return FakePipelines.done("recommend",
        Tensor.ofLongs("items", new long[] {1, items.length}, items),
        Tensor.ofFloats("scores", new long[] {1, scores.length}, scores));
  }

  private static RecommendRequest request(long user, int k) {
    return RecommendRequest.newBuilder().setUserId(user).setK(k).build();
  }

  private static StatusRuntimeException failure(RecommendRequest request) {
    try {
      stub.recommend(request);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("call succeeded: " + request);
  }

  private static List<Long> ids(RecommendResponse r) {
    return r.getItemsList().stream().map(ScoredItem::getItemId).toList();
  }

  @Test
  void returnsTheFirstKItemsHighestFirst() {
    RecommendResponse r = stub.recommend(request(7, 3));
    assertThat(ids(r)).containsExactly(100L, 101L, 102L);
    assertThat(r.getItemsList()).extracting(ScoredItem::getScore).containsExactly(50f, 49f, 48f);
    Tensor input = pipelines.last().inputs().get(0);
    assertThat(input.name()).isEqualTo("user_id");
    assertThat(input.datatype().name()).isEqualTo("INT64");
    assertThat(input.shape()).containsExactly(1);
    assertThat(input.longs()).containsExactly(7);
  }

  @Test
  void kZeroMeansTen() {
    assertThat(stub.recommend(request(0, 0)).getItemsCount()).isEqualTo(10);
  }

  @Test
  void kAtTheLimitIsServed() {
    assertThat(stub.recommend(request(0, 50)).getItemsCount()).isEqualTo(50);
  }

  @ParameterizedTest
  @CsvSource({"5000", "51", "-1", "-2147483648"})
  void kOutsideOneToMaxIsInvalid(int k) {
    StatusRuntimeException e = failure(request(1, k));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("k: " + k + " (expected: 1..50)");
    assertThat(pipelines.last()).isNull();
  }

  @Test
  void kFollowsTheConfiguredLimit() {
    try (InProcess small = new InProcess(new RecommendationService(pipelines,
        new ApiLimits(2000, 5, Duration.ofSeconds(30)), System::nanoTime))) {
      var s = RecommendationServiceGrpc.newBlockingStub(small.channel);
      assertThat(s.recommend(request(1, 0)).getItemsCount()).as("0 means at most the limit").isEqualTo(5);
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> s.recommend(request(1, 6)));
      assertThat(e.getStatus().getDescription()).isEqualTo("k: 6 (expected: 1..5)");
    }
  }

  @Test
  void negativeUserIsInvalid() {
    StatusRuntimeException e = failure(request(-1, 10));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("user_id: -1 (expected: >= 0)");
  }

  @Test
  void aUserPastTheLastIsInvalidAsTheWorkerSays() {
    pipelines.answer("recommend", (in, o, d) -> CompletableFuture.failedFuture(new StepFailedException("recommend", "user_tower",
        new ReplicaCallException("recs-0", Status.INVALID_ARGUMENT.withDescription("user_id: 2000 (expected: 0..1999)")))));
    StatusRuntimeException e = failure(request(2000, 10));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("user_id: 2000").contains("(expected: 0..1999)").contains("user_tower");
  }

  @Test
  void duplicatesAreDroppedAndOrderIsByScore() {
    pipelines.answer("recommend", (in, o, d) -> result(
        new long[] {5, 6, 5, 7, 8, 6},
        new float[] {0.5f, 0.9f, 0.8f, 0.1f, 0.7f, 0.2f}));
    RecommendResponse r = stub.recommend(request(1, 4));
    assertThat(ids(r)).containsExactly(6L, 5L, 8L, 7L);
    assertThat(r.getItemsList()).extracting(ScoredItem::getScore).containsExactly(0.9f, 0.8f, 0.7f, 0.1f);
  }

  @Test
  void paddingIsNotAnItemAndFewerDistinctItemsAreNotMadeUp() {
    pipelines.answer("recommend", (in, o, d) -> result(new long[] {3, -1, 3, -1}, new float[] {1f, 0f, 0.5f, 0f}));
    assertThat(ids(stub.recommend(request(1, 4)))).containsExactly(3L);
  }

  @Test
  void mismatchedOutputsAreOurBugNotTheClients() {
    pipelines.answer("recommend", (in, o, d) -> result(new long[] {1, 2}, new float[] {1f}));
    StatusRuntimeException e = failure(request(1, 1));
    assertThat(e.getStatus().getCode()).isEqualTo(Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).contains("2 items and 1 scores");
  }
}
