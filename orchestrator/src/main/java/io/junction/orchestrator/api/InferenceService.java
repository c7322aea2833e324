package io.junction.orchestrator.api;

import io.grpc.stub.StreamObserver;
import io.junction.engine.IterationListener;
import io.junction.engine.ModelSignature;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.engine.RunOptions;
import io.junction.orchestrator.pipeline.IterationOutputs;
import io.junction.orchestrator.pipeline.Pipelines;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.Pools;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ModelReadyResponse;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerLiveResponse;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.inference.ServerMetadataResponse;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.inference.ServerReadyResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.tensor.TensorSpec;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The Open Inference Protocol on the orchestrator, so that Triton and KServe clients can use
 * it. A name is a pipeline (run as a whole, as Triton runs an ensemble) or a model (sent to a
 * replica of its pool); pipelines are looked up first, since a pipeline is what an operator
 * chose to expose under that name. Versions are not tracked here: the orchestrator serves one
 * version of each name and cannot tell which, so a request must leave model_version empty; a
 * version it cannot honour is refused rather than answered by whatever version runs.
 * ModelStreamInfer checks and runs each request as ModelInfer does, and streams a pipeline's
 * loop iterations as responses of their own ({@link InferStream}).
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  public static final String SERVER_NAME = "junction";
  /** What ModelMetadata says a pipeline is: Triton's word for a server-side DAG of models. */
  public static final String PIPELINE_PLATFORM = "ensemble";

  /** What a unary call streams: nothing. */
  private static final Consumer<List<Tensor>> NO_ITERATIONS = values -> {};

  private final Pools pools;
  private final Pipelines pipelines;
  private final ApiLimits limits;
  private final TensorLimits tensorLimits;

  public InferenceService(Pools pools, Pipelines pipelines, ApiLimits limits) {
    this.pools = Objects.requireNonNull(pools);
    this.pipelines = Objects.requireNonNull(pipelines);
    this.limits = Objects.requireNonNull(limits);
    this.tensorLimits = new TensorLimits(limits);
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
    // answering at all is being live
    Calls.respondNow(observer, () -> ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
    Calls.respondNow(observer, () ->
        ServerReadyResponse.newBuilder().setReady(PoolReadiness.allReady(pools.snapshot())).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
    String version = InferenceService.class.getPackage().getImplementationVersion();
    Calls.respondNow(observer, () -> ServerMetadataResponse.newBuilder()
        .setName(SERVER_NAME)
        .setVersion(version == null ? "dev" : version)
        .build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
    Calls.respondNow(observer, () -> {
      String name = request.getName();
      checkVersion(request.getVersion());
      List<PoolSnapshot> snapshot = pools.snapshot();
      boolean ready;
      if (pipelines.describe(name).isPresent()) {
        // a pipeline does not say which pools it uses; it is ready when every pool is
        ready = PoolReadiness.allReady(snapshot);
      } else if (pools.models().containsKey(name)) {
        ready = pools.poolOf(name).flatMap(p -> PoolReadiness.isReady(snapshot, p)).orElse(false);
      } else {
        throw unknown(name);
      }
      return ModelReadyResponse.newBuilder().setReady(ready).build();
    });
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
    Calls.respondNow(observer, () -> {
      String name = request.getName();
      checkVersion(request.getVersion());
      ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(name);
      PipelineDescription pipeline = pipelines.describe(name).orElse(null);
      if (pipeline != null) {
        b.setPlatform(PIPELINE_PLATFORM);
        pipeline.inputs().forEach(s -> b.addInputs(metadata(s)));
        pipeline.outputs().forEach(s -> b.addOutputs(metadata(s)));
      } else {
        ModelSignature model = pools.models().get(name);
        if (model == null) {
          throw unknown(name);
        }
        model.inputs().forEach(s -> b.addInputs(metadata(s)));
        model.outputs().forEach(s -> b.addOutputs(metadata(s)));
      }
      return b.build();
    });
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
    Calls.respond(observer, () -> infer(request, NO_ITERATIONS), tensors -> response(request, tensors).build());
  }

  /** Triton's streaming form: see {@link InferStream} for how a stream is answered. */
  @Override
  public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> observer) {
    return InferStream.open(observer, this::infer, InferenceService::response);
  }

  /**
   * Checks one request and starts it: a pipeline's run or a model's call. Throws for a request
   * that fails its checks.
   *
   * @param iterations receives each loop iteration of a pipeline as the requested outputs it
   *                   carries; {@link #NO_ITERATIONS} asks the pipeline for none at all
   */
  private CompletableFuture<List<Tensor>> infer(ModelInferRequest request, Consumer<List<Tensor>> iterations) {
    String name = request.getModelName();
    checkVersion(request.getModelVersion());
    tensorLimits.check(request.getInputsList(), request.getRawInputContentsList());
    List<Tensor> inputs = TensorCodec.fromInputs(request.getInputsList(), request.getRawInputContentsList());
    List<String> outputs = request.getOutputsList().stream()
        .map(ModelInferRequest.InferRequestedOutputTensor::getName)
        .toList();
    if (pipelines.describe(name).isPresent()) {
      return Calls.thenApply(pipelines.run(name, inputs, new RunOptions(outputs, OptionalInt.empty()),
          Calls.deadline(limits.defaultDeadline()), listener(name, outputs, iterations)), PipelineResult::outputs);
    } else if (pools.models().containsKey(name)) {
      return pipelines.admission().run(name, () -> pools.infer(name, inputs, outputs,
          Calls.deadline(limits.defaultDeadline())));
    }
    throw unknown(name);
  }

  private IterationListener listener(String pipeline, List<String> outputs, Consumer<List<Tensor>> iterations) {
    IterationOutputs carried = pipelines.iterationOutputs(pipeline);
    if (iterations == NO_ITERATIONS || !carried.carriesAny(outputs)) {
      return IterationListener.NONE; // so that a fused segment sends no iterations over the wire
    }
    return (step, iteration, values) -> {
      List<Tensor> selected = carried.select(step, values, outputs);
      if (!selected.isEmpty()) {
        iterations.accept(selected);
      }
    };
  }

  /** A response to the request (its name, version and id) with these outputs, raw. */
  private static ModelInferResponse.Builder response(ModelInferRequest request, List<Tensor> tensors) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
        .setModelName(request.getModelName())
        .setModelVersion(request.getModelVersion())
        .setId(request.getId());
    return TensorCodec.addRawOutputs(b, tensors);
  }

  private static void checkVersion(String version) {
    if (!version.isEmpty()) {
      String shown = version.length() > 40 ? version.substring(0, 40) + "... (" + version.length() + " characters)" : version;
      throw new InvalidRequestException("model_version: \"" + shown + "\" (expected: \"\"; the orchestrator serves one "
          + "version of each name and does not choose among versions)");
    }
  }

  /** NOT_FOUND naming what does exist, for a name that is neither a pipeline nor a model. */
  private UnknownNameException unknown(String name) {
    TreeSet<String> models = new TreeSet<>(pools.models().keySet());
    TreeSet<String> names = new TreeSet<>();
    pipelines.describe().forEach(d -> names.add(d.name()));
    return new UnknownNameException("model: \"" + name + "\" (expected: a pipeline, one of " + names
        + ", or a model, one of " + models + ")");
  }

  private static ModelMetadataResponse.TensorMetadata metadata(TensorSpec s) {
    return ModelMetadataResponse.TensorMetadata.newBuilder()
        .setName(s.name())
        .setDatatype(s.datatype().name())
        .addAllShape(s.shape())
        .build();
  }
}
