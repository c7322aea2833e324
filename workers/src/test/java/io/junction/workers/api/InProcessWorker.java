package io.junction.workers.api;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.runtime.ModelLoader;
import io.junction.workers.serving.BatchTimer;
import io.junction.workers.serving.FaultSwitch;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.SegmentHost;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A real ModelHost on the real engine, served in-process with the worker's own services. */
final class InProcessWorker implements AutoCloseable {
  final ModelHost host;
  final WorkerHealth health = new WorkerHealth();
  final SegmentApi segmentApi;
  final Server server;
  final ManagedChannel channel;
  final ExecutorService control = Executors.newSingleThreadExecutor();

  InProcessWorker(Path repository, List<String> models) throws IOException {
    this(repository, models, false);
  }

  /** @param allowFaults whether WorkerControl.InjectFault is accepted (--allow-fault-injection) */
  InProcessWorker(Path repository, List<String> models, boolean allowFaults) throws IOException {
    DeviceSelection cpu = DeviceSelection.choose(DeviceRequest.CPU, false, GpuProbe.cuda());
    CpuAffinity affinity = CpuAffinity.current();
    host = new ModelHost(ModelRepository.open(repository), ModelLoader.tensorFlow(cpu, affinity.count()),
        cpu, affinity, 2, 8, System::nanoTime, true, BatchTimer.daemonThread(),
        new FaultSwitch(allowFaults));
    models.forEach(host::load);
    host.startServing();
    health.serving();
    String name = InProcessServerBuilder.generateName();
    segmentApi = new SegmentApi(new SegmentHost(host, System::nanoTime), host);
    server = WorkerServer.addServices(InProcessServerBuilder.forName(name).directExecutor(), host, segmentApi, health,
        control).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub inference() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  WorkerControlGrpc.WorkerControlBlockingStub control() {
    return WorkerControlGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    control.shutdownNow();
    host.close();
  }
}
