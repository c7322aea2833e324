package io.junction.client;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Optional;

/**
 * What the options give every call that does not say otherwise: the call credentials (a stub's
 * own {@code withCallCredentials} wins) and the {@value CallPriority#HEADER} header (a header
 * the application already put there wins).
 */
final class CallDefaults implements ClientInterceptor {
  private static final Metadata.Key<String> PRIORITY = Metadata.Key.of(CallPriority.HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final Optional<CallCredentials> credentials;
  private final Optional<CallPriority> priority;

  CallDefaults(Optional<CallCredentials> credentials, Optional<CallPriority> priority) {
    this.credentials = credentials;
    this.priority = priority;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions options, Channel next) {
    if (options.getCredentials() == null && credentials.isPresent()) {
      options = options.withCallCredentials(credentials.get());
    }
    ClientCall<ReqT, RespT> call = next.newCall(method, options);
    if (priority.isEmpty()) {
      return call;
    }
    String value = priority.get().wireName();
    return new SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        if (!headers.containsKey(PRIORITY)) {
          headers.put(PRIORITY, value);
        }
        super.start(listener, headers);
      }
    };
  }
}
