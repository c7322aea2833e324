package io.junction.orchestrator.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Starts a call and tells its end exactly once: the code the server closes it with, or
 * CANCELLED when the client cancels it first. What interceptors that count calls share.
 */
final class CallEnd {
  private CallEnd() {}

  static <ReqT, RespT> ServerCall.Listener<ReqT> start(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next, Consumer<Status.Code> onEnd) {
    AtomicBoolean ended = new AtomicBoolean();
    ServerCall<ReqT, RespT> watched = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (ended.compareAndSet(false, true)) {
          onEnd.accept(status.getCode());
        }
        super.close(status, trailers);
      }
    };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(watched, headers)) {
      @Override
      public void onCancel() {
        if (ended.compareAndSet(false, true)) {
          onEnd.accept(Status.Code.CANCELLED);
        }
        super.onCancel();
      }
    };
  }
}
