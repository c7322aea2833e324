package io.junction.orchestrator.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
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
    return CallEnd.start(call, headers, next,
        code -> metrics.record(service, code.name(), nanoClock.getAsLong() - start));
  }
}
