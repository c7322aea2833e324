package io.junction.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Gives a call that has no deadline the default one, so that no call waits forever on a server
 * that will never answer. Calls to a method with a timeout in the service config are left to
 * that timeout (the channel applies it after this interceptor, and the shorter deadline wins, so
 * setting the default here would cut a longer method timeout short). Streams the client writes
 * to (Chat, ModelStreamInfer) are sessions and get no default.
 */
final class DefaultDeadline implements ClientInterceptor {
  private final long nanos;
  private final Set<String> timedByServiceConfig;

  DefaultDeadline(Duration deadline, Set<String> timedByServiceConfig) {
    this.nanos = deadline.toNanos();
    this.timedByServiceConfig = Set.copyOf(timedByServiceConfig);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions options, Channel next) {
    boolean bounded = method.getType() == MethodType.UNARY || method.getType() == MethodType.SERVER_STREAMING;
    if (options.getDeadline() == null && bounded && !timedByServiceConfig.contains(method.getFullMethodName())) {
      options = options.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
    }
    return next.newCall(method, options);
  }
}
