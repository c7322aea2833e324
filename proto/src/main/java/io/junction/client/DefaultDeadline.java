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
 * that will never answer. Calls to a method of the helper's table ({@link JunctionMethods}) are
 * left to the service config: its timeout, or none for the streams meant to stay open (Chat,
 * ModelStreamInfer, health Watch). The channel applies a method's timeout after this
 * interceptor and the shorter deadline wins, so setting the default here would cut a longer
 * method timeout short. Streams the client writes to get no default either.
 */
final class DefaultDeadline implements ClientInterceptor {
  private final long nanos;
  private final Set<String> inServiceConfig;

  DefaultDeadline(Duration deadline, Set<String> inServiceConfig) {
    this.nanos = deadline.toNanos();
    this.inServiceConfig = Set.copyOf(inServiceConfig);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions options, Channel next) {
    boolean bounded = method.getType() == MethodType.UNARY || method.getType() == MethodType.SERVER_STREAMING;
    if (options.getDeadline() == null && bounded && !inServiceConfig.contains(method.getFullMethodName())) {
      options = options.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
    }
    return next.newCall(method, options);
  }
}
