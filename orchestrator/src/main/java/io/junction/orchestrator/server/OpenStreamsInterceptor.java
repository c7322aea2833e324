package io.junction.orchestrator.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.junction.orchestrator.api.CapacityLimitException;
import io.junction.orchestrator.api.StatusMapper;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the streaming calls open at once on the server (Chat, ConverseStream, RunStream,
 * ModelStreamInfer: every method that is not unary) by {@code limits.max_open_streams}: a stream
 * beyond it is refused at once with RESOURCE_EXHAUSTED naming the limit, before its handler runs.
 * Each admitted stream holds one permit of a semaphore (the bound is the data structure's) and
 * gives it back exactly once, however it ends: closed by the server (completed or failed),
 * cancelled by the client or by its deadline, or its handler throwing as it starts. Unary calls
 * pass untouched: they are bounded by the pools' admission and by each connection's
 * {@code limits.max_concurrent_streams_per_connection}.
 */
final class OpenStreamsInterceptor implements ServerInterceptor {
  private final int max;
  private final Semaphore permits;

  OpenStreamsInterceptor(int maxOpenStreams) {
    if (maxOpenStreams < 1) {
      throw new IllegalArgumentException("maxOpenStreams: " + maxOpenStreams + " (expected: >= 1)");
    }
    this.max = maxOpenStreams;
    this.permits = new Semaphore(maxOpenStreams);
  }

  /** Streams open now, for tests and status. */
  int open() {
    return max - permits.availablePermits();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (call.getMethodDescriptor().getType() == MethodType.UNARY) {
      return next.startCall(call, headers);
    }
    if (!permits.tryAcquire()) {
      Status refused = StatusMapper.toStatus(new CapacityLimitException("open streams: " + (max + 1)
          + " (expected: <= " + max + "; limits.max_open_streams in the config)"));
      call.close(refused, new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean held = new AtomicBoolean(true);
    Runnable release = () -> {
      if (held.compareAndSet(true, false)) {
        permits.release();
      }
    };
    ServerCall<ReqT, RespT> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        try {
          super.close(status, trailers);
        } finally {
          release.run();
        }
      }
    };
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(counted, headers);
    } catch (RuntimeException | Error e) {
      release.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        // the client went away or the deadline passed: the server may never close this call
        release.run();
        super.onCancel();
      }

      @Override
      public void onComplete() {
        release.run();
        super.onComplete();
      }
    };
  }
}
