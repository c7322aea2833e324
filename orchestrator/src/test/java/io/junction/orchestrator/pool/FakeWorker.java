package io.junction.orchestrator.pool;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.inference.ServerReadyResponse;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An in-process stand-in for a worker, for unit tests of the pool's own logic: answers
 * readiness as told, serves metadata for its models, and echoes, holds or fails inference
 * calls. Its name is the "host:port" the pool dials, through {@link #channels(String)}.
 */
final class FakeWorker implements AutoCloseable {
  enum Mode { ECHO, HOLD, FAIL }

  final String address;
  final List<String> models;
  final long pid;
  volatile boolean ready = true;
  volatile Mode mode = Mode.ECHO;
  /** Stats calls get no answer (their deadline ends them) while set. */
  volatile boolean silentStats;
  /** The datatype its metadata gives input x of every model but "weird" (another server version). */
  volatile String inputType = "FP32";
  volatile Status failWith = Status.INVALID_ARGUMENT.withDescription("x: shape [3] (expected: [-1, 2])");
  final List<ModelInferRequest> received = new CopyOnWriteArrayList<>();
  final LinkedBlockingQueue<StreamObserver<ModelInferResponse>> held = new LinkedBlockingQueue<>();
  /** Probes get no answer while set, as from a stopped process, until {@link #resume}. */
  volatile boolean stopped;
  private final LinkedBlockingQueue<StreamObserver<ServerReadyResponse>> heldProbes = new LinkedBlockingQueue<>();
  private final Server server;

  FakeWorker(String address, long pid, List<String> models) throws IOException {
    this.address = address;
    this.pid = pid;
    this.models = List.copyOf(models);
    this.server = InProcessServerBuilder.forName(address).directExecutor()
        .addService(new Oip())
        .addService(new Control())
        .build()
        .start();
  }

  /** Dials an in-process server by the pool's target string. */
  static ManagedChannel channels(String target) {
    return InProcessChannelBuilder.forName(target).directExecutor().build();
  }

  /** Answers the probes held while stopped, and later ones at once, as a process sent SIGCONT would. */
  void resume() {
    stopped = false;
    for (StreamObserver<ServerReadyResponse> out; (out = heldProbes.poll()) != null; ) {
      try {
        out.onNext(ServerReadyResponse.newBuilder().setReady(ready).build());
        out.onCompleted();
      } catch (RuntimeException e) {
        // its caller gave up on it meanwhile
      }
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private final class Oip extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
      if (stopped) {
        heldProbes.add(out);
        return;
      }
      out.onNext(ServerReadyResponse.newBuilder().setReady(ready).build());
      out.onCompleted();
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
      if (!models.contains(request.getName())) {
        out.onError(Status.NOT_FOUND.withDescription("model: " + request.getName()).asRuntimeException());
        return;
      }
      String type = request.getName().equals("weird") ? "FP8" : inputType;
      out.onNext(ModelMetadataResponse.newBuilder()
          .setName(request.getName())
          .addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("x").setDatatype(type)
              .addShape(-1).addShape(2))
          .addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("y").setDatatype("FP32")
              .addShape(-1).addShape(2))
          .addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("n").setDatatype("INT64")
              .addShape(-1))
          .build());
      out.onCompleted();
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
      received.add(request);
      switch (mode) {
        case HOLD -> held.add(out);
        case FAIL -> out.onError(failWith.asRuntimeException());
        case ECHO -> {
          out.onNext(echo(request));
          out.onCompleted();
        }
      }
    }
  }

  /** Answers with the first input renamed to y, plus n holding this worker's pid. */
  ModelInferResponse echo(ModelInferRequest request) {
    ModelInferRequest.InferInputTensor in = request.getInputs(0);
    return ModelInferResponse.newBuilder()
        .setModelName(request.getModelName())
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y").setDatatype(in.getDatatype())
            .addAllShape(in.getShapeList()))
        .addRawOutputContents(request.getRawInputContents(0))
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("n").setDatatype("INT64").addShape(1))
        .addRawOutputContents(io.junction.tensor.Tensor.ofLongs("n", new long[] {1}, pid).data())
        .build();
  }

  private final class Control extends WorkerControlGrpc.WorkerControlImplBase {
    @Override
    public void stats(StatsRequest request, StreamObserver<StatsResponse> out) {
      if (silentStats) {
        return;
      }
      out.onNext(StatsResponse.newBuilder().setPid(pid).setDevice("cpu").setCpus("0").setReady(ready).build());
      out.onCompleted();
    }
  }
}
