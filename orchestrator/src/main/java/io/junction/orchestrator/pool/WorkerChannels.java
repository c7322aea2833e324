package io.junction.orchestrator.pool;

import io.grpc.ManagedChannel;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Opens the channels to one worker: one per event loop of the process, so that a call can leave
 * on the loop its request came in on (see {@link WorkerClient}). Tests give in-process channels.
 */
@FunctionalInterface
interface WorkerChannels {
  /**
   * The channels to {@code target}: {@code host:port}, or {@code unix:/path} for a local
   * worker's socket. Index i runs on the loop {@link #currentLoop()} calls i.
   */
  List<ManagedChannel> open(String target);

  /** The index of the calling thread's loop among the channels {@link #open} returns, or -1. */
  default int currentLoop() {
    return -1;
  }

  /**
   * The loop channel {@code index} runs on, to time out calls on it without another thread; null
   * when the channels run on no loop of ours (in-process channels), and calls then take one
   * gRPC call each instead of a call stream.
   */
  default ScheduledExecutorService loop(int index) {
    return null;
  }

  /** Whether {@link #open} takes {@code unix:} targets. */
  default boolean unixSockets() {
    return false;
  }
}
