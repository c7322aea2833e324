package io.junction.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The client's side of one ModelStreamInfer stream, for tests: sends requests, records every
 * response in order, and waits (bounded) for the stream's end. Pass it to
 * {@code GRPCInferenceServiceGrpc.newStub(channel).modelStreamInfer(recorder)}.
 */
public final class StreamRecorder implements ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse> {
  private final List<ModelStreamInferResponse> received = new CopyOnWriteArrayList<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile Throwable error;
  private volatile boolean completed;
  private ClientCallStreamObserver<ModelInferRequest> requests;

  /** A request for the chat pipeline with this text and id. */
  public static ModelInferRequest chat(String id, String text) {
    return ModelInferRequest.newBuilder().setModelName("chat").setId(id)
        .addInputs(InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(1))
        .addRawInputContents(Tensor.ofStrings("text", new long[] {1}, List.of(text)).data())
        .build();
  }

  /** The response's {@code triton_final_response}; fails when it is missing. */
  public static boolean isFinal(ModelInferResponse r) {
    assertThat(r.getParametersMap()).as("parameters of response %s", r.getId()).containsKey("triton_final_response");
    return r.getParametersMap().get("triton_final_response").getBoolParam();
  }

  public static List<Tensor> outputs(ModelInferResponse r) {
    return TensorCodec.fromOutputs(r.getOutputsList(), r.getRawOutputContentsList());
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ModelInferRequest> requestStream) {
    this.requests = requestStream;
  }

  public void send(ModelInferRequest r) {
    requests.onNext(r);
  }

  /** Sends the last request. */
  public void halfClose() {
    requests.onCompleted();
  }

  public void cancel() {
    requests.cancel("the test cancels", null);
  }

  /** Waits for the server to end the stream; fails after {@code timeout} or when it ended in an error. */
  public StreamRecorder awaitCompleted(Duration timeout) throws InterruptedException {
    assertThat(ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS))
        .as("stream ended within %s; received so far: %s", timeout, received).isTrue();
    assertThat(error).as("the stream's error").isNull();
    return this;
  }

  /** Waits for the stream to end in an error, and returns its status; fails after {@code timeout} or on success. */
  public io.grpc.Status awaitError(Duration timeout) throws InterruptedException {
    assertThat(ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS))
        .as("stream ended within %s; received so far: %s", timeout, received).isTrue();
    assertThat(error).as("the stream's error").isNotNull();
    return io.grpc.Status.fromThrowable(error);
  }

  public boolean completed() {
    return completed;
  }

  /** Everything received, error responses included. */
  public List<ModelStreamInferResponse> all() {
    return List.copyOf(received);
  }

  /** The responses received, checking that none is an error response. */
  public List<ModelInferResponse> responses() {
    assertThat(received).extracting(ModelStreamInferResponse::getErrorMessage).containsOnly("");
    return received.stream().map(ModelStreamInferResponse::getInferResponse).toList();
  }

  @Override
  public void onNext(ModelStreamInferResponse value) {
    received.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
    ended.countDown();
  }

  @Override
  public void onCompleted() {
    completed = true;
    ended.countDown();
  }
}
