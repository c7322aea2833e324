package io.junction.orchestrator.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Records every call's outcome and duration exactly once: when the server closes it with a
 * status, or when the client cancels it first (then the outcome is CANCELLED).
 */
final class MetricsInterceptor implements ServerInterceptor {
  private final RequestMetrics metrics;
  private final LongSupplier nanoClock;

  MetricsInterceptor(RequestMetrics metrics, LongSupplier nanoClock) {
    this.metrics = metrics;
    this.nanoClock = nanoClock;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String service = call.getMethodDescriptor().getServiceName();
    long start = nanoClock.getAsLong();
    AtomicBoolean recorded = new AtomicBoolean();
    Runnable cancelled = () -> {
      if (recorded.compareAndSet(false, true)) {
        metrics.record(service, Status.Code.CANCELLED.name(), nanoClock.getAsLong() - start);
      }
    };
    ServerCall<ReqT, RespT> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (recorded.compareAndSet(false, true)) {
          metrics.record(service, status.getCode().name(), nanoClock.getAsLong() - start);
        }
        super.close(status, trailers);
      }
    };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(counted, headers)) {
      @Override
      public void onCancel() {
        cancelled.run();
        super.onCancel();
      }
    };
  }
}
