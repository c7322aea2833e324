package io.junction.orchestrator.api;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.junction.proto.inference.InferParameter;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferResponse;
import io.junction.proto.inference.ModelStreamInferResponse;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * One {@code ModelStreamInfer} stream, answered as Triton answers a decoupled model: a request's
 * streamed responses (a pipeline's loop iterations) as they come, then its final response, each
 * marked with Triton's {@code triton_final_response} parameter and carrying the request's id. A
 * request that fails is answered with {@code error_message}; the stream goes on.
 *
 * <p>Requests are answered one at a time, in order: the next is asked of the transport only when
 * the previous one has had its final response and the client is reading ({@code isReady}), so
 * two requests' responses never interleave and a client that stops reading stops being read
 * (what the transport buffers is one request's responses at most). Cancelling the stream cancels
 * the request in flight. It holds no thread: the checks and the start of a request run on the
 * transport's thread, responses are written from whichever thread completes the work.
 */
final class InferStream implements StreamObserver<ModelInferRequest> {
  /** Triton's response parameter: true on the last response of a request. */
  static final String FINAL_RESPONSE = "triton_final_response";

  /** Checks and starts one request; {@code iterations} receives the outputs of each streamed iteration. */
  @FunctionalInterface
  interface Inference {
    CompletableFuture<List<Tensor>> start(ModelInferRequest request, Consumer<List<Tensor>> iterations);
  }

  private final ServerCallStreamObserver<ModelStreamInferResponse> out;
  private final Inference inference;
  private final BiFunction<ModelInferRequest, List<Tensor>, ModelInferResponse.Builder> toResponse;
  private final Object lock = new Object();
  /** The request in flight, or null between requests. */
  @GuardedBy("lock") private CompletableFuture<List<Tensor>> running;
  /** The client sent its last request. */
  @GuardedBy("lock") private boolean halfClosed;
  /** A request was answered while the client was not reading: read the next one when it is. */
  @GuardedBy("lock") private boolean readWhenReady;
  /** Cancelled, or completed: nothing more is written. */
  @GuardedBy("lock") private boolean over;

  private InferStream(ServerCallStreamObserver<ModelStreamInferResponse> out, Inference inference,
      BiFunction<ModelInferRequest, List<Tensor>, ModelInferResponse.Builder> toResponse) {
    this.out = out;
    this.inference = inference;
    this.toResponse = toResponse;
  }

  /**
   * Takes over a new stream. Call it from the service's handler, before it returns: flow control
   * and the handlers can only be set then.
   *
   * @param toResponse a response to the request with these outputs (its id set)
   */
  static StreamObserver<ModelInferRequest> open(StreamObserver<ModelStreamInferResponse> observer, Inference inference,
      BiFunction<ModelInferRequest, List<Tensor>, ModelInferResponse.Builder> toResponse) {
    ServerCallStreamObserver<ModelStreamInferResponse> out = (ServerCallStreamObserver<ModelStreamInferResponse>) observer;
    InferStream stream = new InferStream(out, inference, toResponse);
    out.disableAutoRequest();
    out.setOnCancelHandler(stream::cancel);
    out.setOnReadyHandler(stream::ready);
    out.request(1);
    return stream;
  }

  @Override
  public void onNext(ModelInferRequest request) {
    Request r = new Request(request);
    CompletableFuture<List<Tensor>> run;
    try {
      run = inference.start(request, r::iteration);
    } catch (RuntimeException e) {
      r.finish(null, e);
      return;
    }
    synchronized (lock) {
      running = run;
      if (over) {
        run.cancel(false); // the client went while the request started
      }
    }
    run.whenComplete(r::finish);
  }

  /** The client sent its last request: complete once the one in flight is answered. */
  @Override
  public void onCompleted() {
    synchronized (lock) {
      halfClosed = true;
      if (running != null || over) {
        return;
      }
      over = true;
      out.onCompleted();
    }
  }

  /** The client's side failed or was cancelled; the cancel handler has stopped the work. */
  @Override
  public void onError(Throwable t) {
    cancel();
  }

  private void cancel() {
    CompletableFuture<List<Tensor>> run;
    synchronized (lock) {
      over = true;
      run = running;
    }
    if (run != null) {
      run.cancel(false);
    }
  }

  private void ready() {
    synchronized (lock) {
      if (!readWhenReady || over) {
        return;
      }
      readWhenReady = false;
    }
    out.request(1);
  }

  /** One request's answers: its iterations, then exactly one final response. */
  private final class Request {
    private final ModelInferRequest request;
    @GuardedBy("lock") private boolean answered;

    Request(ModelInferRequest request) {
      this.request = request;
    }

    void iteration(List<Tensor> outputs) {
      synchronized (lock) {
        if (!answered && !over) {
          out.onNext(response(outputs, false));
        }
      }
    }

    void finish(List<Tensor> outputs, Throwable error) {
      synchronized (lock) {
        answered = true;
        running = null;
        if (over) {
          return;
        }
        ModelStreamInferResponse last;
        try {
          last = error == null ? response(outputs, true) : failure(error);
        } catch (RuntimeException e) {
          last = failure(e);
        }
        out.onNext(last);
        if (halfClosed) {
          over = true;
          out.onCompleted();
          return;
        }
        if (!out.isReady()) {
          readWhenReady = true;
          return;
        }
      }
      // outside the lock: the transport may hand over the next request on this thread
      out.request(1);
    }

    private ModelStreamInferResponse response(List<Tensor> outputs, boolean last) {
      return ModelStreamInferResponse.newBuilder().setInferResponse(marked(toResponse.apply(request, outputs), last)).build();
    }

    /** Triton's form: the message alone, the id kept so that the client knows which request failed. */
    private ModelStreamInferResponse failure(Throwable error) {
      Status status = StatusMapper.toStatus(error);
      return ModelStreamInferResponse.newBuilder()
          .setErrorMessage(status.getDescription() != null ? status.getDescription() : status.getCode().name())
          .setInferResponse(marked(toResponse.apply(request, List.of()), true))
          .build();
    }
  }

  private static ModelInferResponse.Builder marked(ModelInferResponse.Builder response, boolean last) {
    return response.putParameters(FINAL_RESPONSE, InferParameter.newBuilder().setBoolParam(last).build());
  }
}
