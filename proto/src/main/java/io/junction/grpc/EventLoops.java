package io.junction.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One process's Netty event loops: a group of {@code threads} loops (epoll when the native
 * transport loads, else NIO) on which its gRPC servers and every channel it dials run, all with
 * {@code directExecutor()}. Sizing it to the cores, instead of grpc-netty's default of two
 * groups of twice the cores each, keeps a 2-core machine from running a dozen network threads;
 * sharing it lets a call that arrives on one loop leave, and come back, on the same thread (see
 * {@link #channelsTo}), with no hand-off between threads. The caller owns it and closes it after
 * the servers and channels built on it.
 *
 * <p>Unix domain sockets need epoll; with NIO they are refused ({@link #unixSockets()}).
 */
public final class EventLoops implements AutoCloseable {
  /** Prefix of a target that names a Unix domain socket: {@code unix:/path/to.sock}. */
  public static final String UNIX = "unix:";

  private final String name;
  private final MultiThreadIoEventLoopGroup group;
  private final List<EventLoop> loops;
  private final boolean epoll;
  /** Blocking work grpc hands off from the loops (a static member's DNS lookups): few threads, named. */
  private final ThreadPoolExecutor offload;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** The system property of Netty's buffer-leak detector, under grpc-netty-shaded's package prefix. */
  static final String LEAK_DETECTION_PROPERTY = "io.grpc.netty.shaded.io.netty.leakDetection.level";

  static {
    // Netty's default leak detector samples one buffer in 128 and records a stack trace for each:
    // 2.4% of the orchestrator's CPU at 22,000 pipeline calls a second (async-profiler, 3-step at
    // 64 clients), for a report of leaks in grpc's own buffer handling. Off unless asked for.
    if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  private EventLoops(String name, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
    }
    this.name = name;
    this.epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    // Daemon threads, as grpc-netty's own: the lifecycle code closes the group, and a missed
    // close must not keep a stopping JVM alive.
    this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
    List<EventLoop> all = new ArrayList<>(threads);
    for (EventExecutor e : group) {
      all.add((EventLoop) e);
    }
    this.loops = List.copyOf(all);
    AtomicInteger n = new AtomicInteger();
    this.offload = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, name + "-offload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    offload.allowCoreThreadTimeOut(true);
  }

  /**
   * A group of {@code threads} loops whose threads are named {@code name-N-M}.
   *
   * @throws IllegalArgumentException when {@code threads} is below 1
   */
  public static EventLoops create(String name, int threads) {
    return new EventLoops(name, threads);
  }

  /** One loop per processor the JVM sees (which follows {@code -XX:ActiveProcessorCount}). */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** True with the epoll transport; false when it fell back to NIO. */
  public boolean epoll() {
    return epoll;
  }

  /** "epoll" or "nio". */
  public String transport() {
    return epoll ? "epoll" : "nio";
  }

  /** Why epoll is not used, for the log line that says so; empty with epoll. */
  public Optional<String> fallbackReason() {
    return epoll ? Optional.empty() : Optional.of(String.valueOf(Epoll.unavailabilityCause()));
  }

  /** Whether servers and channels can use Unix domain sockets (epoll only). */
  public boolean unixSockets() {
    return epoll;
  }

  public int size() {
    return loops.size();
  }

  public String name() {
    return name;
  }

  /** Index of the loop the calling thread runs, or -1 for a thread that is not one of ours. */
  public int currentLoop() {
    for (int i = 0; i < loops.size(); i++) {
      if (loops.get(i).inEventLoop()) {
        return i;
      }
    }
    return -1;
  }

  /** Loop {@code index} (in {@link #currentLoop()}'s order), to schedule work on its thread. */
  public EventLoop loop(int index) {
    return loops.get(index);
  }

  /**
   * A server builder on these loops for {@code address}: TCP for an {@link java.net.InetSocketAddress},
   * a Unix domain socket for {@link #unixAddress}. Handlers run on the loops ({@code directExecutor}).
   */
  public NettyServerBuilder server(SocketAddress address) {
    return NettyServerBuilder.forAddress(address)
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group)
        .channelType(address instanceof DomainSocketAddress ? requireEpoll(EpollServerDomainSocketChannel.class)
            : epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .directExecutor();
  }

  /**
   * One plaintext channel per loop to {@code target} ({@code host:port}, or {@code unix:/path}),
   * in loop order: the channel at index i runs only on loop i, so a call started on loop i over
   * channel i is written, answered and completed on that thread. Callbacks run on the loop
   * ({@code directExecutor}).
   */
  public List<NettyChannelBuilder> channelsTo(String target) {
    List<NettyChannelBuilder> out = new ArrayList<>(loops.size());
    for (EventLoop loop : loops) {
      out.add(channel(target, loop));
    }
    return out;
  }

  /** One plaintext channel to {@code target} on any one of the loops (for clients that make few calls). */
  public NettyChannelBuilder channelTo(String target) {
    return channel(target, group.next());
  }

  private NettyChannelBuilder channel(String target, EventLoop loop) {
    NettyChannelBuilder b;
    if (target.startsWith(UNIX)) {
      b = NettyChannelBuilder.forAddress(unixAddress(Path.of(target.substring(UNIX.length()))))
          .channelType(requireEpoll(EpollDomainSocketChannel.class));
    } else {
      b = NettyChannelBuilder.forTarget(target)
          .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class);
    }
    // A single loop is a group whose next() is itself: every connection of this channel lives there.
    // No grpc-level retry: the pipeline engine retries a step itself (within its deadline, on
    // another replica), and grpc's retry wraps every call in a RetriableStream that buffers its
    // messages, which cost the orchestrator about a tenth of its throughput (3-step pipeline at
    // 64 clients: 26,000-27,400 calls a second without it, 23,300-25,700 with it).
    return b.eventLoopGroup(loop)
        .offloadExecutor(offload)
        .directExecutor()
        .disableRetry()
        .usePlaintext();
  }

  /** The address of a Unix domain socket at {@code path}. */
  public static SocketAddress unixAddress(Path path) {
    return new DomainSocketAddress(path.toString());
  }

  private <T> Class<T> requireEpoll(Class<T> type) {
    if (!epoll) {
      throw new IllegalStateException("unix domain sockets: not available with the " + transport()
          + " transport (expected: epoll; " + fallbackReason().orElse("") + ")");
    }
    return type;
  }

  /**
   * Stops the loops (after whatever ran on them: close the servers and channels first) and
   * waits for their threads to end, at most a few seconds. Safe to call more than once.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    offload.shutdownNow();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  public boolean isTerminated() {
    return group.isTerminated();
  }

  @Override
  public String toString() {
    return name + " (" + loops.size() + " " + transport() + " loops)";
  }
}
