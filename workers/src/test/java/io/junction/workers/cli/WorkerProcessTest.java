package io.junction.workers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.testing.TestModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real worker process, started as the orchestrator's launcher starts it: a JVM on this
 * test's class path, talking over loopback. One JVM per behaviour; every wait is bounded.
 */
class WorkerProcessTest {
  private static final long WAIT_SECONDS = 90;

  @TempDir static Path repo;
  @TempDir static Path logs;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void buildModels() {
    TestModels.buildRepository(repo);
  }

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
      }
    }
  }

  private Process spawn(List<String> prefix, Map<String, String> env, String... args) throws IOException {
    return spawnOn(repo, prefix, env, args);
  }

  private Process spawnOn(Path repository, List<String> prefix, Map<String, String> env, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx384m", "-XX:+UseSerialGC",
        "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
        "--repository", repository.toString(), "--port", "0"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectError(logs.resolve("worker-" + started.size() + ".err").toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /** The first stdout line, waited for at most {@link #WAIT_SECONDS}. */
  private static String firstLine(Process p) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return "read failed: " + e;
      }
    }).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(line).as("first stdout line").isNotNull();
    return line;
  }

  private static JsonObject ready(Process p) throws Exception {
    String line = firstLine(p);
    assertThat(line).startsWith(WorkerMain.READY);
    return JsonParser.parseString(line.substring(WorkerMain.READY.length())).getAsJsonObject();
  }

  private static JsonObject failed(Process p) throws Exception {
    String line = firstLine(p);
    assertThat(line).startsWith(WorkerMain.FAILED);
    return JsonParser.parseString(line.substring(WorkerMain.FAILED.length())).getAsJsonObject();
  }

  private static int exitCode(Process p) throws InterruptedException {
    assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("worker exited").isTrue();
    return p.exitValue();
  }

  private static StatsResponse stats(ManagedChannel channel) {
    return WorkerControlGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .stats(StatsRequest.getDefaultInstance());
  }

  private static ManagedChannel channel(JsonObject ready) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", ready.get("port").getAsInt()).usePlaintext().build();
  }

  @Test
  void servesOverLoopbackReportsItselfAndExitsWhenStdinCloses() throws Exception {
    Process p = spawn(List.of(), Map.of(), "--models", "scale,ids", "--exit-with-stdin", "--id", "it-1");
    JsonObject ready = ready(p);
    assertThat(ready.get("pid").getAsLong()).isEqualTo(p.pid());
    assertThat(ready.get("port").getAsInt()).isPositive();
    assertThat(ready.get("device").getAsString()).isEqualTo("cpu");
    assertThat(ready.get("requested_device").getAsString()).isEqualTo("cpu");
    assertThat(ready.get("fell_back").getAsBoolean()).isFalse();
    assertThat(ready.get("models").toString()).isEqualTo("[\"scale\",\"ids\"]");

    ManagedChannel channel = channel(ready);
    try {
      ModelInferResponse r = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .modelInfer(ModelInferRequest.newBuilder().setModelName("scale")
              .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
                  .addShape(1).addShape(2)
                  .setContents(InferTensorContents.newBuilder().addFp32Contents(1.5f).addFp32Contents(-2f)))
              .build());
      List<Tensor> out = TensorCodec.fromOutputs(r.getOutputsList(), r.getRawOutputContentsList());
      assertThat(out.get(0).floats()).containsExactly(3f, -4f);

      StatsResponse s = stats(channel);
      assertThat(s.getPid()).isEqualTo(p.pid());
      assertThat(s.getDevice()).isEqualTo("cpu");
      assertThat(s.getReady()).isTrue();
      assertThat(s.getCpus()).isEqualTo(ready.get("cpus").getAsString()).isNotEmpty();
      assertThat(s.getModelsList()).extracting(m -> m.getName() + "=" + m.getCalls()).containsExactly("ids=0", "scale=1");
      // Every sample ran at least once at the load and once through ModelInfer before READY,
      // counted apart from the user's call: scale has two samples, ids one.
      assertThat(s.getModelsList()).extracting(m -> m.getWarmupCalls() >= (m.getName().equals("scale") ? 4 : 2))
          .containsOnly(true);
      assertThat(s.getModelsList()).allSatisfy(m -> assertThat(m.getReady()).isTrue());
      int cores = CpuAffinity.countCpus(s.getCpus());
      assertThat(List.of(s.getModelThreads(), s.getIntraOpThreads())).containsOnly(cores);
      assertThat(s.getInterOpThreads()).as("sessions run on the model-calls threads").isZero();
    } finally {
      channel.shutdownNow();
    }

    p.getOutputStream().close();
    assertThat(exitCode(p)).isZero();
  }

  @Test
  void gpuAskedWhereThereIsNoneFailsWithExit78AndSaysWhy() throws Exception {
    assumeTrue(GpuProbe.cuda().visibleGpus() == 0, "this machine has a GPU");
    Process p = spawn(List.of(), Map.of("CUDA_VISIBLE_DEVICES", "0"), "--device", "gpu:0");
    String reason = failed(p).get("reason").getAsString();
    assertThat(reason).startsWith("device: gpu:0 (expected: a visible GPU; found none: CUDA_VISIBLE_DEVICES=0")
        .contains("fallback: cpu");
    assertThat(exitCode(p)).isEqualTo(WorkerMain.EXIT_CONFIG);
  }

  @Test
  void unknownModelFailsWithExit78AndListsTheRepository() throws Exception {
    Process p = spawn(List.of(), Map.of(), "--models", "scale,nope");
    assertThat(failed(p).get("reason").getAsString())
        .isEqualTo("model: \"nope\" (expected: one of ids, scale, text in the repository " + repo.toAbsolutePath() + ")");
    assertThat(exitCode(p)).isEqualTo(WorkerMain.EXIT_CONFIG);
  }

  @Test
  void batchingOtherThanOnOrOffFailsWithExit78() throws Exception {
    Process p = spawn(List.of(), Map.of(), "--batching", "maybe");
    assertThat(failed(p).get("reason").getAsString()).isEqualTo("batching: \"maybe\" (expected: on or off)");
    assertThat(exitCode(p)).isEqualTo(WorkerMain.EXIT_CONFIG);
  }

  @Test
  void fallbackUnderTasksetRunsOnTheOneCpuGivenAndExitsZeroOnSigterm() throws Exception {
    assumeTrue(GpuProbe.cuda().visibleGpus() == 0, "this machine has a GPU");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/taskset")), "taskset is missing");
    Process p = spawn(List.of("/usr/bin/taskset", "-c", "0"), Map.of("CUDA_VISIBLE_DEVICES", "0"),
        "--models", "text", "--device", "gpu:0", "--fallback-cpu", "--cpus", "0");
    JsonObject ready = ready(p);
    assertThat(ready.get("cpus").getAsString()).isEqualTo("0");
    ManagedChannel channel = channel(ready);
    try {
      StatsResponse s = stats(channel);
      assertThat(s.getDevice()).isEqualTo("cpu");
      assertThat(s.getRequestedDevice()).isEqualTo("gpu:0");
      assertThat(s.getFellBack()).isTrue();
      assertThat(s.getCpus()).isEqualTo("0");
      assertThat(List.of(s.getModelThreads(), s.getIntraOpThreads()))
          .as("one pinned core: one model-call thread, one TensorFlow intra-op thread").containsOnly(1);
      assertThat(s.getInterOpThreads()).isZero();
    } finally {
      channel.shutdownNow();
    }
    p.destroy(); // SIGTERM
    assertThat(exitCode(p)).isZero();
  }

  @Test
  void exitsWhenItsParentProcessIsGone() throws Exception {
    Process parent = new ProcessBuilder("sleep", "300").start();
    started.add(parent);
    Process p = spawn(List.of(), Map.of(), "--models", "scale", "--parent-pid", Long.toString(parent.pid()));
    ready(p);
    assertThat(p.isAlive()).isTrue();
    parent.destroyForcibly();
    parent.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(exitCode(p)).isZero();
  }

  @Test
  void aWarmupSampleTheModelRefusesFailsTheStartWithExit78NamingModelSampleAndProblem(@TempDir Path broken)
      throws Exception {
    Path model = broken.resolve("scale");
    Files.createDirectories(model.resolve("1/variables"));
    try (var files = Files.walk(repo.resolve("scale/1"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, model.resolve("1").resolve(repo.resolve("scale/1").relativize(f).toString()));
      }
    }
    String contract = TestModels.withoutWarmup(TestModels.SCALE_YAML);
    Files.writeString(model.resolve("model.yaml"), contract
        + "warmup:\n  - {name: fine, inputs: {x: {shape: [1, 2], values: [1, 2]}}}\n"
        + "  - {name: too_big, inputs: {x: {shape: [9, 2], fill: 1}}}\n");
    Process p = spawnOn(broken, List.of(), Map.of());
    assertThat(failed(p).get("reason").getAsString()).isEqualTo(model.resolve("model.yaml").toAbsolutePath()
        + ": warmup[1] (sample \"too_big\" of model scale): x.shape[0]: 9 (expected: at most 8, the max_batch_size of model scale)");
    assertThat(exitCode(p)).isEqualTo(WorkerMain.EXIT_CONFIG);
  }
}
