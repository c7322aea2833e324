package io.junction.workers.api;

import static io.junction.workers.api.Requests.floats;
import static io.junction.workers.api.Requests.shape;
import static io.junction.workers.api.Requests.strings;
import static io.junction.workers.api.Requests.typed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.v1.BatchSizeBucket;
import io.junction.proto.v1.DrainRequest;
import io.junction.proto.v1.LoadModelRequest;
import io.junction.proto.v1.ModelStats;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.UnloadModelRequest;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WorkerControl in-process over the real engine; drain, which ends a worker, gets a worker of its own. */
class WorkerControlApiTest {
  @TempDir static Path repo;
  static InProcessWorker worker;

  @BeforeAll
  static void start() throws Exception {
    TestModels.buildRepository(repo);
    worker = new InProcessWorker(repo, List.of("scale", "text"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
  }

  private static void assertStatus(ThrowingCallable call, Status.Code code, String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(message);
    });
  }

  private static ModelStats stats(StatsResponse s, String model) {
    return s.getModelsList().stream().filter(m -> m.getName().equals(model)).findFirst().orElseThrow();
  }

  @Test
  void statsReportTheProcessTheDeviceAndPerModelCounters() {
    long before = stats(worker.control().stats(StatsRequest.getDefaultInstance()), "scale").getCalls();
    worker.inference().modelInfer(typed("scale", floats("x", shape(2, 2), 1f, 2f, 3f, 4f)));
    worker.inference().modelInfer(typed("scale", floats("x", shape(1, 2), 1f, 2f)));
    // Refused before the queue: not a call of the model.
    assertThatThrownBy(() -> worker.inference().modelInfer(typed("scale", floats("x", shape(1, 3), 1f, 2f, 3f))))
        .isInstanceOf(StatusRuntimeException.class);

    StatsResponse s = worker.control().stats(StatsRequest.getDefaultInstance());
    assertThat(s.getPid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(s.getDevice()).isEqualTo("cpu");
    assertThat(s.getRequestedDevice()).isEqualTo("cpu");
    assertThat(s.getFellBack()).isFalse();
    assertThat(s.getReady()).isTrue();
    assertThat(s.getDraining()).isFalse();
    assertThat(s.getCpus()).isEqualTo(CpuAffinity.current().list()).isNotEmpty();
    assertThat(s.getInFlight()).isZero();
    ModelStats scale = stats(s, "scale");
    assertThat(scale.getVersion()).isEqualTo("1");
    assertThat(scale.getReady()).isTrue();
    assertThat(scale.getCalls() - before).isEqualTo(2);
    assertThat(scale.getErrors()).isZero();
    assertThat(scale.getRows()).isGreaterThanOrEqualTo(3);
    assertThat(scale.getTotalMicros()).isPositive();
  }

  @Test
  void statsReportBatchesTheirSizesAndQueueDelayForModelsThatBatch() {
    ModelStats before = stats(worker.control().stats(StatsRequest.getDefaultInstance()), "text");
    byte[] a = "A".getBytes(StandardCharsets.UTF_8);
    worker.inference().modelInfer(typed("text", strings("text", shape(2), a, a)));
    worker.inference().modelInfer(typed("text", strings("text", shape(1), a)));

    StatsResponse s = worker.control().stats(StatsRequest.getDefaultInstance());
    ModelStats text = stats(s, "text");
    assertThat(text.getBatching()).isTrue();
    // One call at a time, so each is a batch of its own.
    assertThat(text.getBatches() - before.getBatches()).isEqualTo(2);
    assertThat(text.getBatchRows() - before.getBatchRows()).isEqualTo(3);
    assertThat(text.getBatchedRequests() - before.getBatchedRequests()).isEqualTo(2);
    assertThat(text.getQueueMicrosMax()).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(text.getQueueMicrosTotal());
    assertThat(text.getBatchSizesList()).extracting(BatchSizeBucket::getLe).containsExactly(1L, 2L, 4L, 0L);
    List<Long> counts = text.getBatchSizesList().stream().map(BatchSizeBucket::getBatches).toList();
    List<Long> countsBefore = before.getBatchSizesList().stream().map(BatchSizeBucket::getBatches).toList();
    assertThat(counts.get(0) - countsBefore.get(0)).isEqualTo(1);
    assertThat(counts.get(1) - countsBefore.get(1)).isEqualTo(2);
    assertThat(counts.get(3)).isEqualTo(text.getBatches());

    ModelStats scale = stats(s, "scale");
    assertThat(scale.getBatching()).isFalse();
    assertThat(scale.getBatchSizesList()).isEmpty();
    assertThat(scale.getBatches()).isZero();
  }

  @Test
  void unloadedModelIsUnavailableUntilLoadedAgain() {
    var text = typed("text", strings("text", shape(1), "AB".getBytes(StandardCharsets.UTF_8)));
    worker.inference().modelInfer(text);
    worker.control().unload(UnloadModelRequest.newBuilder().setModel("text").build());

    assertStatus(() -> worker.inference().modelInfer(text), Status.Code.UNAVAILABLE,
        "model: text is in the repository but not loaded on this worker");
    assertThat(worker.inference().modelReady(ModelReadyRequest.newBuilder().setName("text").build()).getReady()).isFalse();
    assertThat(worker.control().stats(StatsRequest.getDefaultInstance()).getModelsList())
        .extracting(ModelStats::getName).doesNotContain("text");
    assertStatus(() -> worker.control().unload(UnloadModelRequest.newBuilder().setModel("text").build()),
        Status.Code.NOT_FOUND, "model: \"text\" (expected: one of ");

    var loaded = worker.control().load(LoadModelRequest.newBuilder().setModel("text").build());
    assertThat(loaded.getModel()).isEqualTo("text");
    assertThat(loaded.getLoadMillis()).isNotNegative();
    assertThat(worker.inference().modelInfer(text).getRawOutputContentsCount()).isEqualTo(2);
  }

  @Test
  void loadingAModelOfTheRepositoryServesIt() {
    worker.control().load(LoadModelRequest.newBuilder().setModel("ids").build());
    assertThat(worker.inference().modelReady(ModelReadyRequest.newBuilder().setName("ids").build()).getReady()).isTrue();
  }

  @Test
  void loadOfAnUnknownModelIsNotFoundAndOfABrokenOneIsFailedPrecondition() throws Exception {
    assertStatus(() -> worker.control().load(LoadModelRequest.newBuilder().setModel("nope").build()),
        Status.Code.NOT_FOUND, "model: \"nope\" (expected: one of ids, scale, text in the repository");

    Path broken = repo.resolve("broken");
    Files.createDirectories(broken.resolve("1"));
    Files.writeString(broken.resolve("1/saved_model.pb"), "not a graph");
    Files.writeString(broken.resolve("model.yaml"), TestModels.SCALE_YAML.replace("name: scale", "name: broken"));
    try {
      assertStatus(() -> worker.control().load(LoadModelRequest.newBuilder().setModel("broken").build()),
          Status.Code.FAILED_PRECONDITION, "model broken: cannot load " + broken.resolve("1").toAbsolutePath());
      Files.writeString(broken.resolve("model.yaml"), TestModels.SCALE_YAML);
      assertStatus(() -> worker.control().load(LoadModelRequest.newBuilder().setModel("broken").build()),
          Status.Code.FAILED_PRECONDITION, broken.resolve("model.yaml").toAbsolutePath()
              + ": name: \"scale\" (expected: \"broken\", the name of the model's folder)");
    } finally {
      Files.writeString(broken.resolve("model.yaml"), "");
      Files.delete(broken.resolve("model.yaml"));
    }
  }

  @Test
  void drainRefusesNewWorkAndReportsNothingAbandoned() throws Exception {
    try (InProcessWorker draining = new InProcessWorker(repo, List.of("scale"))) {
      var request = typed("scale", floats("x", shape(1, 2), 1f, 2f));
      draining.inference().modelInfer(request);

      assertStatus(() -> draining.control().drain(DrainRequest.newBuilder().setGraceMillis(-1).build()),
          Status.Code.INVALID_ARGUMENT, "grace_millis: -1 (expected: >= 0");
      assertThat(draining.control().drain(DrainRequest.newBuilder().setGraceMillis(5_000).build()).getAbandoned())
          .isZero();

      assertStatus(() -> draining.inference().modelInfer(request), Status.Code.UNAVAILABLE,
          "the worker is draining");
      assertStatus(() -> draining.control().load(LoadModelRequest.newBuilder().setModel("text").build()),
          Status.Code.UNAVAILABLE, "the worker is draining");
      assertThat(draining.inference().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();
      StatsResponse s = draining.control().stats(StatsRequest.getDefaultInstance());
      assertThat(s.getDraining()).isTrue();
      assertThat(s.getReady()).isFalse();
      assertThat(HealthGrpc.newBlockingStub(draining.channel)
          .check(HealthCheckRequest.newBuilder().setService("inference.GRPCInferenceService").build()).getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
    }
  }
}
