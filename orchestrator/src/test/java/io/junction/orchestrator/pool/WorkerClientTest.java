package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which of a worker's channels an inference takes: the one of the caller's event loop, else
 * each in turn. Each "channel" here leads to its own fake worker, so the worker that answers
 * says which channel was used.
 */
class WorkerClientTest {
  private final List<FakeWorker> workers = new ArrayList<>();
  private final AtomicInteger currentLoop = new AtomicInteger(-1);
  private WorkerClient client;

  @BeforeEach
  void setUp() throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      FakeWorker w = new FakeWorker("loop-" + i, 100 + i, List.of("a"));
      workers.add(w);
      channels.add(FakeWorker.channels(w.address));
    }
    client = new WorkerClient("w:1", channels, new WorkerChannels() {
      @Override
      public List<ManagedChannel> open(String target) {
        throw new AssertionError("not used");
      }

      @Override
      public int currentLoop() {
        return currentLoop.get();
      }
    });
  }

  @AfterEach
  void tearDown() {
    client.close();
    workers.forEach(FakeWorker::close);
  }

  @Test
  void aCallOnAnEventLoopLeavesOnThatLoopsChannel() throws Exception {
    currentLoop.set(2);
    for (int i = 0; i < 4; i++) {
      assertThat(answeredBy()).isEqualTo(102);
    }
    currentLoop.set(0);
    assertThat(answeredBy()).isEqualTo(100);
  }

  @Test
  void callsFromOtherThreadsTakeTheChannelsInTurn() throws Exception {
    List<Long> pids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pids.add(answeredBy());
    }
    assertThat(pids).containsExactly(100L, 101L, 102L, 100L, 101L, 102L);
  }

  @Test
  void probesAndMetadataUseTheFirstChannel() throws Exception {
    assertThat(client.serverReady(java.time.Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(client.stats(java.time.Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS).getPid()).isEqualTo(100);
  }

  /** The pid of the fake worker that answered one inference. */
  private long answeredBy() throws Exception {
    ModelInferRequest request = TensorCodec.addRawInputs(ModelInferRequest.newBuilder().setModelName("a"),
        List.of(Tensor.ofFloats("x", new long[] {1, 2}, 1f, 2f))).build();
    var response = client.infer(request, null).get(10, TimeUnit.SECONDS);
    return TensorCodec.fromOutputs(response.getOutputsList(), response.getRawOutputContentsList()).get(1).longs()[0];
  }
}
