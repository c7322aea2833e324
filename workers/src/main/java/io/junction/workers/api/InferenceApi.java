package io.junction.workers.api;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.junction.grpc.SegmentProtocol;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.inference.ModelReadyResponse;
import io.junction.proto.inference.ServerLiveRequest;
import io.junction.proto.inference.ServerLiveResponse;
import io.junction.proto.inference.ServerMetadataRequest;
import io.junction.proto.inference.ServerMetadataResponse;
import io.junction.proto.inference.ServerReadyRequest;
import io.junction.proto.inference.ServerReadyResponse;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.serving.CallAbandonedException;
import io.junction.workers.serving.CallScope;
import io.junction.workers.serving.ModelHost;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol over a {@link ModelHost}. Thin: {@link ModelInferCalls} decodes
 * tensors, calls the host and encodes the answer (always as raw_output_contents, which
 * tritonclient and the orchestrator read); failures map with {@link StatusMapper}. Runs on
 * the transport's threads, so it never blocks: model calls complete on the host's executor.
 */
public final class InferenceApi extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  /**
   * A ModelInfer request parameter (any value) that marks a warm-up call: served as any call,
   * counted in the model's warm-up counters rather than its user counters. The worker sends it to
   * itself before it reports ready.
   */
  public static final String WARMUP_PARAMETER = "junction_warmup";
  static final String SERVER_NAME = "junction-worker";
  private static final Logger log = LoggerFactory.getLogger(InferenceApi.class);

  private final ModelHost host;
  private final ModelInferCalls calls;
  private final String version;

  public InferenceApi(ModelHost host) {
    this.host = host;
    this.calls = new ModelInferCalls(host);
    String v = InferenceApi.class.getPackage().getImplementationVersion();
    this.version = v == null ? "dev" : v;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply(out, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    reply(out, ServerReadyResponse.newBuilder().setReady(host.isReady()).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    reply(out, ModelReadyResponse.newBuilder()
        .setReady(host.isReady() && host.isModelReady(request.getName(), request.getVersion())).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    reply(out, ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(version)
        .addExtensions(SegmentProtocol.EXTENSION).build());
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    try {
      ModelConfig config = host.config(request.getName(), request.getVersion());
      ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
          .setName(config.name())
          .addVersions(config.versionString())
          .setPlatform(config.platform());
      config.inputs().forEach(t -> b.addInputs(metadata(t)));
      config.outputs().forEach(t -> b.addOutputs(metadata(t)));
      reply(out, b.build());
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toException(e));
    }
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    try {
      calls.run(request, scopeOf(Context.current())).whenComplete((response, error) -> {
        try {
          if (error != null) {
            out.onError(StatusMapper.toException(error));
          } else {
            reply(out, response);
          }
        } catch (RuntimeException e) {
          // The call was cancelled or closed meanwhile; nobody is left to answer.
          log.debug("Answer to {} not delivered: {}", request.getModelName(), e.toString());
        }
      });
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toException(e));
    }
  }

  /** gRPC cancels a call's context when its deadline passes, so one check covers both ways of leaving. */
  static CallScope scopeOf(Context context) {
    return () -> {
      if (!context.isCancelled()) {
        return Optional.empty();
      }
      Deadline d = context.getDeadline();
      return Optional.of(d != null && d.isExpired()
          ? CallAbandonedException.Reason.DEADLINE_EXCEEDED
          : CallAbandonedException.Reason.CANCELLED);
    };
  }

  private static ModelMetadataResponse.TensorMetadata metadata(TensorSpec t) {
    return ModelMetadataResponse.TensorMetadata.newBuilder()
        .setName(t.name())
        .setDatatype(t.datatype().name())
        .addAllShape(t.shape())
        .build();
  }

  private static <T> void reply(StreamObserver<T> out, T response) {
    out.onNext(response);
    out.onCompleted();
  }
}
