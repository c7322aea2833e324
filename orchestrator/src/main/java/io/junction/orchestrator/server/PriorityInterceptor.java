package io.junction.orchestrator.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.junction.orchestrator.admission.InvalidPriorityException;
import io.junction.orchestrator.admission.Priority;
import io.junction.orchestrator.api.StatusMapper;
import java.util.Optional;

/**
 * Reads the {@value Priority#HEADER} metadata into the call's context, where admission and the
 * pools' queues find it; refuses a value that names no priority with INVALID_ARGUMENT before the
 * call starts. A call without the header runs at its pipeline's configured priority.
 */
final class PriorityInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> HEADER = Metadata.Key.of(Priority.HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final ServerCall.Listener<Object> NOTHING = new ServerCall.Listener<>() {};

  @Override
  @SuppressWarnings("unchecked")
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String value = headers.get(HEADER);
    if (value == null) {
      return next.startCall(call, headers);
    }
    Optional<Priority> priority = Priority.parse(value);
    if (priority.isEmpty()) {
      call.close(StatusMapper.toStatus(new InvalidPriorityException(value)), new Metadata());
      return (ServerCall.Listener<ReqT>) NOTHING;
    }
    return Contexts.interceptCall(priority.get().in(Context.current()), call, headers, next);
  }
}
