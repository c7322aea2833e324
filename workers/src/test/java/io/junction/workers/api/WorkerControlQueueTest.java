package io.junction.workers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.junction.proto.v1.LoadModelRequest;
import io.junction.proto.v1.UnloadModelRequest;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.serving.BatchTimer;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.SegmentHost;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control executor's bound: a Load beyond its queue is refused at once, as capacity. */
class WorkerControlQueueTest {
  @TempDir Path repo;

  @Test
  void aLoadBeyondTheControlQueueIsResourceExhaustedAndShutdownIsUnavailable() throws Exception {
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    ModelHost host = new ModelHost(ModelRepository.open(repo), config -> {
      throw new AssertionError("nothing is loaded here");
    }, cpu, new CpuAffinity("0", 1), 1, 1, System::nanoTime, true, BatchTimer.daemonThread());
    host.startServing();
    ExecutorService control = WorkerServer.controlExecutor(1);
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Runnable hold = () -> {
      busy.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    String name = InProcessServerBuilder.generateName();
    Server server = WorkerServer.addServices(InProcessServerBuilder.forName(name).directExecutor(), host,
        new SegmentHost(host, System::nanoTime), new WorkerHealth(), control).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      control.execute(hold); // runs, holding the one thread
      assertThat(busy.await(30, TimeUnit.SECONDS)).isTrue();
      control.execute(hold); // waits: the queue of one is full
      var stub = WorkerControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> stub.load(LoadModelRequest.newBuilder().setModel("scale").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription())
                .isEqualTo("control queue: full, 1 Load/Unload calls waiting (expected: fewer at once;"
                    + " they run one at a time)");
          });
      assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals("worker-control"));

      release.countDown();
      control.shutdown();
      assertThat(control.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(() -> stub.unload(UnloadModelRequest.newBuilder().setModel("scale").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      release.countDown();
      channel.shutdownNow();
      server.shutdownNow();
      control.shutdownNow();
      host.close();
    }
  }
}
