package io.junction.bench;

import com.google.gson.GsonBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Admission and priorities under overload, against a running Junction serving {@code Recommend}
 * (issue 13's acceptance). A warm-up first, unmeasured: {@code --warmup-seconds} of closed loop,
 * then half as long (at least 5 s) of the last stage's mix, so that the refusal, batch and
 * interactive paths are compiled before they are timed. Then four stages, each bounded by
 * {@code --seconds}, each reporting the CPU time the orchestrator's JIT compiler used meanwhile:
 *
 * <ol>
 *   <li><b>capacity</b>: closed loop at {@code --clients}; its throughput is the capacity;
 *   <li><b>overload</b>: open loop at {@code --factor} x capacity: admitted requests' success and
 *       latency, rejections' count and time to RESOURCE_EXHAUSTED, any other error; the
 *       orchestrator's RSS before, right after and once idle again;
 *   <li><b>interactive idle</b>: closed loop of {@code --interactive-clients} interactive clients alone;
 *   <li><b>interactive under batch saturation</b>: the same clients while batch requests
 *       ({@code junction-priority: batch}, on a connection of their own) arrive open loop at
 *       {@code --factor} x capacity: the interactive p99 against the idle one, batch shed and
 *       admitted. These two alternate, {@code --rounds} phases each, {@code --seconds} in all.
 * </ol>
 * An answer counts as good when it carries items; a refusal only when it is RESOURCE_EXHAUSTED
 * from admission (its message starts with "admission:"); anything else is an error.
 */
@Command(name = "overload-probe", mixinStandardHelpOptions = true)
public final class OverloadProbe implements Callable<Integer> {
  @Option(names = "--address", defaultValue = "127.0.0.1:8500", description = "host:port of Junction")
  String address;

  @Option(names = "--pid", required = true, description = "the orchestrator's process id, for its RSS")
  long pid;

  @Option(names = "--seconds", defaultValue = "10", description = "length of each stage")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "10", description = "unmeasured closed loop first")
  int warmupSeconds;

  @Option(names = "--clients", defaultValue = "64", description = "closed-loop clients of the capacity stage")
  int clients;

  @Option(names = "--factor", defaultValue = "4", description = "overload: this many times the capacity")
  double factor;

  @Option(names = "--interactive-clients", defaultValue = "4", description = "interactive clients of the priority stages")
  int interactiveClients;

  @Option(names = "--rounds", defaultValue = "3",
      description = "the priority stages alternate idle and saturated phases this many times, --seconds split among them")
  int rounds;

  @Option(names = "--max-outstanding", defaultValue = "20000", description = "open loop: most calls outstanding")
  int maxOutstanding;

  @Option(names = "--record", description = "key=value of the server's config, recorded with the figures (repeatable)")
  Map<String, String> record = new LinkedHashMap<>();

  @Option(names = "--label", defaultValue = "junction.overload")
  String label;

  @Option(names = "--json", description = "write the figures here")
  Path json;

  private static final Metadata.Key<String> PRIORITY = Metadata.Key.of("junction-priority",
      Metadata.ASCII_STRING_MARSHALLER);

  private RecommendationServiceGrpc.RecommendationServiceStub interactive;
  private RecommendationServiceGrpc.RecommendationServiceStub batch;
  private final AtomicLong users = new AtomicLong();

  public static void main(String[] args) {
    System.exit(new CommandLine(new OverloadProbe()).execute(args));
  }

  /** What one stream of requests saw: good answers, refusals at the door, anything else. */
  private static final class Outcomes {
    final Recorder ok = new Recorder();
    final Recorder refused = new Recorder();
    final AtomicLong other = new AtomicLong();
    final AtomicLong notSent = new AtomicLong();
    volatile String firstOther;

    Map<String, Object> figures(double secs) {
      Map<String, Object> m = new LinkedHashMap<>();
      Recorder.Summary a = ok.summarize(secs);
      Recorder.Summary r = refused.summarize(secs);
      long total = a.ok() + r.ok() + other.get();
      m.put("requests", total);
      m.put("succeeded", a.ok());
      m.put("refused", r.ok());
      m.put("other_errors", other.get());
      m.put("first_other_error", firstOther);
      m.put("not_sent", notSent.get());
      m.put("admitted_success_rate", a.ok() + other.get() == 0 ? 1.0 : (double) a.ok() / (a.ok() + other.get()));
      m.put("throughput", a.throughput());
      m.put("p50_us", a.p50Us());
      m.put("p99_us", a.p99Us());
      m.put("max_us", a.maxUs());
      m.put("refused_p50_us", r.p50Us());
      m.put("refused_p99_us", r.p99Us());
      m.put("refused_max_us", r.maxUs());
      return m;
    }
  }

  @Override
  public Integer call() throws Exception {
    String[] hp = address.split(":");
    ManagedChannel channel = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
        .directExecutor().build();
    // The batch load comes from other clients than the interactive ones, as it would in production:
    // a connection of its own, not the interactive clients' HTTP/2 connection, whose frames are
    // read in order on one event loop behind the flood of batch requests.
    ManagedChannel batchChannel = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
        .directExecutor().build();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      interactive = RecommendationServiceGrpc.newStub(channel);
      Metadata batchHeader = new Metadata();
      batchHeader.put(PRIORITY, "batch");
      batch = RecommendationServiceGrpc.newStub(batchChannel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(batchHeader));

      progress("warm-up: %d s closed loop at %d clients", warmupSeconds, clients);
      Outcomes warm = new Outcomes();
      closedLoop(interactive, clients, warmupSeconds, warm);
      // Every path the stages measure is compiled before they measure it: refusals, batch and
      // interactive side by side. On two shared cores the JIT otherwise spends a third of the
      // machine during the first overload stage (1.6-2.4 s of CPU in 6 s measured in the
      // orchestrator alone), and the stage times the compiler as much as the server.
      int mixedSeconds = Math.max(5, warmupSeconds / 2);
      double warmRate = Math.max(1.0, (double) warm.figures(warmupSeconds).get("throughput")) * factor;
      progress("warm-up: %d s of batch at %.0f req/s beside %d interactive clients", mixedSeconds, warmRate,
          interactiveClients);
      saturate(ticker, warmRate, mixedSeconds, new Outcomes(), new Outcomes());

      Outcomes capacity = new Outcomes();
      double jit = jitSeconds();
      closedLoop(interactive, clients, seconds, capacity);
      Map<String, Object> cap = capacity.figures(seconds);
      jit = putJit(cap, jit);
      double rate = (double) cap.get("throughput");
      progress("capacity: %.0f req/s at %d clients (p50 %.0f us, p99 %.0f us; %d refused, %d other errors;"
              + " orchestrator JIT %.2f s of CPU)", rate, clients, cap.get("p50_us"), cap.get("p99_us"),
          cap.get("refused"), cap.get("other_errors"), cap.get("orchestrator_jit_cpu_seconds"));
      figures.put("capacity", cap);

      long heapBefore = ProcessMemory.heapAfterGcKb(pid);
      long rssBefore = rssKb();
      Thread.sleep(2000); // the full GC and jcmd's own JVM are done with the cores
      Outcomes overload = new Outcomes();
      jit = jitSeconds();
      openLoop(ticker, interactive, rate * factor, seconds, overload);
      double overloadJit = jitSeconds() - jit;
      long rssAfter = rssKb();
      Thread.sleep(3000);
      long rssIdle = rssKb();
      long heapAfter = ProcessMemory.heapAfterGcKb(pid);
      Map<String, Object> over = overload.figures(seconds);
      over.put("offered_rate", rate * factor);
      over.put("rss_kb_before", rssBefore);
      over.put("rss_kb_after", rssAfter);
      over.put("rss_kb_idle", rssIdle);
      over.put("heap_after_gc_kb_before", heapBefore);
      over.put("heap_after_gc_kb_after", heapAfter);
      over.put("orchestrator_jit_cpu_seconds", overloadJit);
      progress("overload at %.0f req/s (%.1fx): %d admitted and served (%.4f of admitted), p50 %.0f us, p99 %.0f us;"
              + " %d refused at the door, p99 %.0f us to RESOURCE_EXHAUSTED; %d other errors%s;"
              + " orchestrator RSS %d MiB before, %d after, %d idle; heap after GC %d MiB before, %d after;"
              + " orchestrator JIT %.2f s of CPU",
          rate * factor, factor, over.get("succeeded"), over.get("admitted_success_rate"), over.get("p50_us"),
          over.get("p99_us"), over.get("refused"), over.get("refused_p99_us"), over.get("other_errors"),
          overload.firstOther == null ? "" : " (" + overload.firstOther + ")", rssBefore / 1024, rssAfter / 1024,
          rssIdle / 1024, heapBefore / 1024, heapAfter / 1024, overloadJit);
      figures.put("overload", over);

      // Idle and saturated phases alternate, so that a drift of the shared host's speed (2x within
      // an hour here) weighs on both sides of the ratio alike instead of on whichever ran second.
      int phase = Math.max(3, (seconds + rounds - 1) / rounds);
      Outcomes idle = new Outcomes();
      Outcomes saturated = new Outcomes();
      Outcomes batchLoad = new Outcomes();
      double idleJit = 0;
      double satJit = 0;
      for (int round = 0; round < rounds; round++) {
        jit = jitSeconds();
        closedLoop(interactive, interactiveClients, phase, idle);
        double between = jitSeconds();
        idleJit += between - jit;
        saturate(ticker, rate * factor, phase, saturated, batchLoad);
        satJit += jitSeconds() - between;
      }
      Map<String, Object> idleFigures = idle.figures(phase * rounds);
      idleFigures.put("orchestrator_jit_cpu_seconds", idleJit);
      progress("interactive alone, %d clients, %d phases of %d s: p50 %.0f us, p99 %.0f us, %d served;"
              + " orchestrator JIT %.2f s of CPU", interactiveClients, rounds, phase, idleFigures.get("p50_us"),
          idleFigures.get("p99_us"), idleFigures.get("succeeded"), idleJit);
      figures.put("interactive_idle", idleFigures);
      Map<String, Object> sat = saturated.figures(phase * rounds);
      sat.put("orchestrator_jit_cpu_seconds", satJit);
      Map<String, Object> batchFigures = batchLoad.figures((phase + 2) * rounds);
      double ratio = (double) sat.get("p99_us") / Math.max(1.0, (double) idleFigures.get("p99_us"));
      sat.put("p99_ratio_to_idle", ratio);
      progress("interactive under batch saturation (batch offered %.0f req/s): p50 %.0f us, p99 %.0f us (%.2fx idle),"
              + " %d served, %d refused, %d other errors; batch: %d served, %d shed, %d other errors%s;"
              + " orchestrator JIT %.2f s of CPU",
          rate * factor, sat.get("p50_us"), sat.get("p99_us"), ratio, sat.get("succeeded"), sat.get("refused"),
          sat.get("other_errors"), batchFigures.get("succeeded"), batchFigures.get("refused"),
          batchFigures.get("other_errors"), batchLoad.firstOther == null ? "" : " (" + batchLoad.firstOther + ")",
          sat.get("orchestrator_jit_cpu_seconds"));
      figures.put("interactive_saturated", sat);
      figures.put("batch", batchFigures);
      figures.put("label", label);
      figures.put("seconds", seconds);
      figures.put("priority_rounds", rounds);
      figures.put("priority_phase_seconds", phase);
      figures.put("factor", factor);
      figures.put("clients", clients);
      figures.put("interactive_clients", interactiveClients);
      figures.putAll(record);
      if (json != null) {
        Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(figures));
      }
      long others = (long) over.get("other_errors") + (long) sat.get("other_errors") + (long) sat.get("refused");
      progress("%s", others == 0 ? "no request failed other than by admission" : others + " interactive or admitted requests failed");
      return 0;
    } finally {
      ticker.shutdownNow();
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      batchChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Interactive clients in a closed loop for {@code secs} while batch requests arrive open loop
   * at {@code batchRate}, from a second before they start until a second after they end.
   */
  private void saturate(ScheduledExecutorService ticker, double batchRate, int secs, Outcomes interactiveInto,
      Outcomes batchInto) throws InterruptedException {
    Thread batchThread = new Thread(() -> {
      try {
        openLoop(ticker, batch, batchRate, secs + 2, batchInto);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "batch-load");
    batchThread.start();
    Thread.sleep(1000); // the batch load is at full pressure before the interactive clients measure
    closedLoop(interactive, interactiveClients, secs, interactiveInto);
    batchThread.join();
  }

  /**
   * CPU seconds the orchestrator's JIT compiler threads have used so far (Linux /proc), or NaN
   * when it cannot be read: a stage during which the compiler worked measured it too.
   */
  private double jitSeconds() {
    try {
      return ProcessMemory.compilerCpuSeconds(pid);
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  /** Puts the JIT CPU since {@code before} into {@code m}; returns the reading now. */
  private double putJit(Map<String, Object> m, double before) {
    double now = jitSeconds();
    m.put("orchestrator_jit_cpu_seconds", now - before);
    return now;
  }

  /** {@code n} clients, each sending its next request when its last is answered, for {@code secs}. */
  private void closedLoop(RecommendationServiceGrpc.RecommendationServiceStub stub, int n, int secs, Outcomes into)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
    CountDownLatch done = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      next(stub, end, into, done);
    }
    if (!done.await(secs + 60L, TimeUnit.SECONDS)) {
      throw new IllegalStateException("closed loop: calls still outstanding 60 s after its end");
    }
  }

  private void next(RecommendationServiceGrpc.RecommendationServiceStub stub, long end, Outcomes into,
      CountDownLatch done) {
    if (System.nanoTime() >= end) {
      done.countDown();
      return;
    }
    send(stub, System.nanoTime(), into, () -> next(stub, end, into, done));
  }

  /** Requests at {@code rate} per second, whatever the answers do, for {@code secs}; waits for the last answer. */
  private void openLoop(ScheduledExecutorService ticker, RecommendationServiceGrpc.RecommendationServiceStub stub,
      double rate, int secs, Outcomes into) throws InterruptedException {
    AtomicInteger outstanding = new AtomicInteger();
    long start = System.nanoTime();
    long total = (long) (rate * secs);
    AtomicLong issued = new AtomicLong();
    CountDownLatch sent = new CountDownLatch(1);
    var task = ticker.scheduleAtFixedRate(() -> {
      long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * rate));
      while (issued.get() < due) {
        long intended = start + (long) (issued.getAndIncrement() / rate * 1e9);
        if (outstanding.get() >= maxOutstanding) {
          into.notSent.incrementAndGet();
          continue;
        }
        outstanding.incrementAndGet();
        send(stub, intended, into, outstanding::decrementAndGet);
      }
      if (issued.get() >= total) {
        sent.countDown();
      }
    }, 0, 1, TimeUnit.MILLISECONDS);
    if (!sent.await(secs + 30L, TimeUnit.SECONDS)) {
      throw new IllegalStateException("open loop: could not send in time");
    }
    task.cancel(false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** One Recommend; latency from {@code startNanos} (the intended send time, open loop). */
  private void send(RecommendationServiceGrpc.RecommendationServiceStub stub, long startNanos, Outcomes into,
      Runnable then) {
    long user = users.getAndIncrement() % 2000;
    stub.withDeadlineAfter(30, TimeUnit.SECONDS).recommend(
        RecommendRequest.newBuilder().setUserId(user).setK(10).build(), new StreamObserver<>() {
          @Override
          public void onNext(RecommendResponse r) {
            if (r.getItemsCount() > 0) {
              into.ok.ok(System.nanoTime() - startNanos);
            } else {
              other(into, "no items for user " + user);
            }
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            if (s.getCode() == Status.Code.RESOURCE_EXHAUSTED && s.getDescription() != null
                && s.getDescription().startsWith("admission:")) {
              into.refused.ok(System.nanoTime() - startNanos);
            } else {
              other(into, s.getCode() + ": " + s.getDescription());
            }
            then.run();
          }

          @Override
          public void onCompleted() {
            then.run();
          }
        });
  }

  private static void other(Outcomes into, String what) {
    into.other.incrementAndGet();
    if (into.firstOther == null) {
      into.firstOther = what;
    }
  }

  private long rssKb() throws IOException {
    return ProcessMemory.rssKb(pid);
  }

  private static void progress(String format, Object... args) {
    System.out.printf("overload: " + format + "%n", args);
  }
}
