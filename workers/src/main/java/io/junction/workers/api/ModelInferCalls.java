package io.junction.workers.api;

import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import io.junction.workers.serving.CallScope;
import io.junction.workers.serving.InferRequest;
import io.junction.workers.serving.InferResult;
import io.junction.workers.serving.ModelHost;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One ModelInfer against the {@link ModelHost}, however it arrived: a unary call
 * ({@link InferenceApi}) or a call on a call stream ({@link CallStream}), so both are checked,
 * run, counted and answered alike.
 */
final class ModelInferCalls {
  private final ModelHost host;

  ModelInferCalls(ModelHost host) {
    this.host = host;
  }

  /**
   * Decodes the request, runs it (as a warm-up call when it carries
   * {@link InferenceApi#WARMUP_PARAMETER}) and encodes the answer. Throws for a request that
   * fails its checks before it runs; the future fails for one that fails after.
   */
  CompletableFuture<ModelInferResponse> run(ModelInferRequest request, CallScope scope) {
    List<Tensor> inputs = TensorCodec.fromInputs(request.getInputsList(), request.getRawInputContentsList());
    List<String> outputs = request.getOutputsList().stream()
        .map(ModelInferRequest.InferRequestedOutputTensor::getName).toList();
    InferRequest call = new InferRequest(request.getModelName(), request.getModelVersion(), inputs, outputs);
    boolean warmup = request.getParametersMap().containsKey(InferenceApi.WARMUP_PARAMETER);
    String id = request.getId();
    return (warmup ? host.warmUp(call, scope) : host.infer(call, scope)).thenApply(r -> response(id, r));
  }

  private static ModelInferResponse response(String id, InferResult result) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
        .setModelName(result.model())
        .setModelVersion(result.version())
        .setId(id);
    return TensorCodec.addRawOutputs(b, result.outputs()).build();
  }
}
