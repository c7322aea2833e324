package io.junction.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A unary gRPC method as a target. Calls leave and are answered on a small epoll event-loop group
 * with {@code directExecutor()}, so the generator spends microseconds, not a thread hop, per call
 * (DESIGN.md's runtime facts: 5x the throughput of the default executor). Calls are spread over
 * {@code connections} HTTP/2 connections in turn.
 */
final class GrpcTarget<Q, R> implements Target {
  private final EventLoopGroup group;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final MethodDescriptor<Q, R> method;
  private final List<Q> requests;
  private final BiFunction<R, Integer, String> check;
  private final long deadlineMillis;
  private final AtomicInteger turn = new AtomicInteger();

  /**
   * @param check given an answer and the index of its case: null for a correct answer, else what is wrong
   */
  GrpcTarget(String host, int port, int connections, int ioThreads, long deadlineMillis,
      MethodDescriptor<Q, R> method, List<Q> requests, BiFunction<R, Integer, String> check) {
    this.method = method;
    this.requests = List.copyOf(requests);
    this.check = check;
    this.deadlineMillis = deadlineMillis;
    boolean epoll = Epoll.isAvailable();
    DefaultThreadFactory threads = new DefaultThreadFactory("bench-grpc", true);
    this.group = new MultiThreadIoEventLoopGroup(ioThreads, threads,
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    for (int i = 0; i < connections; i++) {
      channels.add(NettyChannelBuilder.forAddress(host, port)
          .usePlaintext()
          .eventLoopGroup(group)
          .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
          .directExecutor()
          .maxInboundMessageSize(64 << 20)
          .build());
    }
  }

  /** A channel of the target's own, for calls made before the run (looking up a worker). */
  ManagedChannel anyChannel() {
    return channels.get(0);
  }

  @Override
  public int cases() {
    return requests.size();
  }

  @Override
  public void send(int caseIndex, Outcome outcome) {
    ManagedChannel channel = channels.get(Math.floorMod(turn.getAndIncrement(), channels.size()));
    int kase = caseIndex % requests.size();
    Q request = requests.get(kase);
    ClientCalls.asyncUnaryCall(
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)),
        request,
        new StreamObserver<R>() {
          private R answer;

          @Override
          public void onNext(R value) {
            answer = value;
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            outcome.error(s.getCode() + ": " + shorten(s.getDescription()));
          }

          @Override
          public void onCompleted() {
            String wrong = answer == null ? "no answer message" : check.apply(answer, kase);
            if (wrong == null) {
              outcome.ok();
            } else {
              outcome.error("wrong answer: " + wrong);
            }
          }
        });
  }

  /** Error messages become keys of the error table: keep them short and free of request details. */
  static String shorten(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 160 ? s.substring(0, 160) + "..." : s;
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
