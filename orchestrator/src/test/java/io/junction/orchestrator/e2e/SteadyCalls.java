package io.junction.orchestrator.e2e;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.junction.client.JunctionChannels;
import io.junction.client.JunctionClientOptions;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client process of {@link JavaClientReplicaRestartTest}: Recommend calls back to back from
 * a few threads over one channel of the Java client helper, with the helper's defaults (no
 * deadline of its own, no retry of its own). It runs in a JVM of its own because its name
 * resolution comes from {@code -Djdk.net.hosts.file}, which a JVM reads once at start.
 *
 * <p>Prints {@code addresses a,b} (what the JVM resolves the target's name to), then
 * {@code ok N} after every tenth answer, {@code FAIL ...} for each failed call, and
 * {@code done ok=N failed=M} once stdin says {@code stop} (or closes, or {@code seconds} pass).
 * Arguments: target, threads, seconds.
 */
public final class SteadyCalls {
  private SteadyCalls() {}

  public static void main(String[] args) throws Exception {
    String target = args[0];
    int threads = Integer.parseInt(args[1]);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
    String host = URI.create(target).getPath().substring(1).replaceFirst(":[0-9]+$", "");
    System.out.println("addresses " + String.join(",",
        Arrays.stream(InetAddress.getAllByName(host)).map(InetAddress::getHostAddress).sorted().toList()));

    ManagedChannel channel = JunctionChannels.newChannel(JunctionClientOptions.builder(target).build());
    var stub = RecommendationServiceGrpc.newBlockingStub(channel);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int first = t;
      Thread caller = new Thread(() -> {
        for (long i = first; !stop.get() && System.nanoTime() < end; i += threads) {
          try {
            RecommendResponse r = stub.recommend(RecommendRequest.newBuilder().setUserId(i % 200).setK(10).build());
            if (r.getItemsCount() != 10) {
              failed.incrementAndGet();
              System.out.println("FAIL user " + (i % 200) + ": " + r.getItemsCount() + " items (expected: 10)");
            } else if (ok.incrementAndGet() % 10 == 0) {
              System.out.println("ok " + ok.get());
            }
          } catch (StatusRuntimeException e) {
            failed.incrementAndGet();
            System.out.println("FAIL user " + (i % 200) + ": " + e.getStatus());
          }
        }
      }, "caller-" + t);
      caller.start();
      callers.add(caller);
    }
    Thread stdin = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null && !line.equals("stop")) {
          // only "stop" means anything
        }
      } catch (Exception e) {
        // a closed stdin stops the calls as "stop" does
      }
      stop.set(true);
    }, "stdin");
    stdin.setDaemon(true);
    stdin.start();
    for (Thread caller : callers) {
      caller.join();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    System.out.println("done ok=" + ok.get() + " failed=" + failed.get());
  }
}
