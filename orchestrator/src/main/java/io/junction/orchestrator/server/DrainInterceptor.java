package io.junction.orchestrator.server;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.junction.orchestrator.api.Draining;
import io.junction.orchestrator.api.ServerDrainingException;
import io.junction.orchestrator.api.StatusMapper;
import java.util.concurrent.TimeUnit;

/**
 * Counts the calls in flight and, once the server drains, refuses new ones with UNAVAILABLE
 * ({@link ServerDrainingException}) so that the server can wait for exactly the calls it has
 * accepted ({@link #awaitIdle}). Sits on the typed services and the Open Inference Protocol,
 * not on health and reflection: a balancer must still read NOT_SERVING during the drain.
 */
final class DrainInterceptor implements ServerInterceptor {
  private static final ServerCall.Listener<Object> NOTHING = new ServerCall.Listener<>() {};

  private final Draining draining;
  private final Object lock = new Object();
  @GuardedBy("lock") private int open;

  DrainInterceptor(Draining draining) {
    this.draining = draining;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    // Counted before the check: a drain that begins in between then waits for this call,
    // or this call sees the drain and leaves; never neither.
    opened();
    if (draining.isDraining()) {
      closed();
      call.close(StatusMapper.toStatus(new ServerDrainingException(call.getMethodDescriptor().getFullMethodName())),
          new Metadata());
      return (ServerCall.Listener<ReqT>) NOTHING;
    }
    try {
      return CallEnd.start(call, headers, next, code -> closed());
    } catch (RuntimeException e) {
      closed();
      throw e;
    }
  }

  /** Calls accepted and not yet ended. */
  int open() {
    synchronized (lock) {
      return open;
    }
  }

  /**
   * Waits until every accepted call has ended or {@code deadlineNanos} (System.nanoTime) has
   * passed; true when none is left.
   */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    synchronized (lock) {
      while (open > 0) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }

  private void opened() {
    synchronized (lock) {
      open++;
    }
  }

  private void closed() {
    synchronized (lock) {
      open--;
      if (open == 0) {
        lock.notifyAll();
      }
    }
  }
}
