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
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.serving.BatchTimer;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.SegmentHost;
import io.junction.workers.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Load over a loader that fails with an Error, as a native library that will not link does. */
class WorkerControlLoadErrorTest {
  @TempDir Path repo;

  @Test
  void aLoadThatFailsWithAnErrorIsAnsweredNotLeftToTheDeadline() throws Exception {
    Path dir = repo.resolve("scale");
    Files.createDirectories(dir.resolve("1"));
    Files.writeString(dir.resolve("1/saved_model.pb"), "");
    Files.writeString(dir.resolve("model.yaml"), TestModels.SCALE_YAML);
    DeviceSelection cpu = new DeviceSelection(DeviceRequest.CPU, "cpu", false, ai.djl.Device.cpu());
    ModelHost host = new ModelHost(ModelRepository.open(repo), config -> {
      throw new UnsatisfiedLinkError("no jnitensorflow in java.library.path");
    }, cpu, new CpuAffinity("0", 1), 1, 1, System::nanoTime, true, BatchTimer.daemonThread());
    host.startServing();
    ExecutorService control = Executors.newSingleThreadExecutor();
    String name = InProcessServerBuilder.generateName();
    Server server = WorkerServer.addServices(InProcessServerBuilder.forName(name).directExecutor(), host,
        new SegmentHost(host, System::nanoTime), new WorkerHealth(), control).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      // the deadline only bounds the test; the answer must come from the worker, not from it
      var stub = WorkerControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> stub.load(LoadModelRequest.newBuilder().setModel("scale").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
            assertThat(e.getStatus().getDescription()).contains("UnsatisfiedLinkError: no jnitensorflow");
          });
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      control.shutdownNow();
      host.close();
    }
  }
}
