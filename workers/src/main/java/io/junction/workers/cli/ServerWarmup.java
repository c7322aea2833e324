package io.junction.workers.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.InferParameter;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.tensor.TensorCodec;
import io.junction.workers.api.InferenceApi;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.WarmupSample;
import io.junction.workers.serving.ModelHost;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every warm-up sample of every loaded model once through the worker's ModelInfer service,
 * wire format included (the request is parsed from bytes and the answer written to bytes, as the
 * transport does), before the worker reports ready. The load has already warmed each model's
 * engine (session, predictors) through the host; this warms the protocol code in front of it,
 * which otherwise makes a worker's first user call tens of milliseconds slower than the rest.
 * In process rather than over a loopback channel: a client channel costs the worker more than a
 * second of start for no more warmth. The calls carry {@link InferenceApi#WARMUP_PARAMETER}, so
 * they count as warm-up, not as user calls.
 */
final class ServerWarmup {
  private static final Logger log = LoggerFactory.getLogger(ServerWarmup.class);
  private static final long CALL_TIMEOUT_SECONDS = 60;

  private ServerWarmup() {}

  /**
   * @throws StartupException (not permanent) when a call fails: the models passed their own
   *     warm-up, so what fails here is the protocol layer
   */
  static void run(ModelHost models) throws StartupException {
    long start = System.nanoTime();
    int calls = 0;
    InferenceApi api = new InferenceApi(models);
    for (String model : models.loadedModels()) {
      ModelConfig config = models.config(model, "");
      for (WarmupSample sample : config.warmup()) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model)
            .putParameters(InferenceApi.WARMUP_PARAMETER, InferParameter.newBuilder().setBoolParam(true).build());
        TensorCodec.addRawInputs(request, sample.inputs());
        Answer answer = new Answer();
        try {
          api.modelInfer(ModelInferRequest.parseFrom(request.build().toByteArray()), answer);
          answer.done.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InvalidProtocolBufferException | ExecutionException | TimeoutException e) {
          throw new StartupException("warm-up through ModelInfer: model " + model + ", sample \"" + sample.name()
              + "\": " + (e instanceof ExecutionException ? e.getCause() : e), false, e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StartupException("warm-up through ModelInfer: interrupted", false, e);
        }
        calls++;
      }
    }
    log.info("Warmed up ModelInfer with {} calls in {} ms", calls,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  /** Takes the answer as the transport would: written to bytes. */
  private static final class Answer implements StreamObserver<ModelInferResponse> {
    final CompletableFuture<Integer> done = new CompletableFuture<>();

    @Override
    public void onNext(ModelInferResponse response) {
      done.complete(response.toByteArray().length);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(0);
    }
  }
}
