package io.junction.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.ReplicaInfo;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load generator: one workload, one system, a series of closed-loop runs (one per concurrency)
 * and then open-loop runs (fixed rates, or fractions of the best closed-loop throughput of this
 * invocation: the sweep to saturation). Prints one line per run and writes every figure as JSON.
 * bench/run calls it once per system and workload; see bench/README.md.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
    description = "Closed- and open-loop load against one system; answers checked against a reference.")
public final class LoadGen implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--workload", required = true, description = "threestep, recommend or chat")
  String workload;
  @Option(names = "--target", required = true,
      description = "junction-run (PipelineService.Run), oip (ModelInfer), oip-http (the protocol's REST infer), "
          + "junction-typed (Recommend/Converse), http (JSON POST)")
  String protocol;
  @Option(names = "--address", defaultValue = "127.0.0.1:8500", description = "host:port of a gRPC target")
  String address;
  @Option(names = "--url", description = "URL of an http target")
  String url;
  @Option(names = "--reference", required = true, description = "JSON file: {\"workload\", \"cases\": [...]}")
  Path reference;
  @Option(names = "--label", description = "name of the system in the output")
  String label;
  @Option(names = "--concurrency", split = ",", description = "closed-loop client counts, e.g. 1,8,64")
  List<Integer> concurrency = new ArrayList<>();
  @Option(names = "--rates", split = ",", description = "open-loop rates, requests/s")
  List<Double> rates = new ArrayList<>();
  @Option(names = "--rate-fractions", split = ",",
      description = "open-loop rates as fractions of the best closed-loop throughput of this invocation")
  List<Double> rateFractions = new ArrayList<>();
  @Option(names = "--warmup-seconds", defaultValue = "3", description = "unmeasured load before the first run")
  double warmupSeconds;
  @Option(names = "--settle-seconds", description = "with it, the warm-up comes once, spread over the closed-loop "
      + "client counts in turn (so every load level's path is compiled), and each run gets only this much unmeasured "
      + "load before it; without it, each run gets --warmup-seconds of its own")
  Double settleSeconds;
  @Option(names = "--seconds", defaultValue = "10", description = "measured period of each run")
  double seconds;
  @Option(names = "--drain-seconds", defaultValue = "10", description = "wait for answers after the period")
  double drainSeconds;
  @Option(names = "--max-requests", defaultValue = "5000000", description = "most requests of one run")
  long maxRequests;
  @Option(names = "--max-in-flight", defaultValue = "1024", description = "open loop: most requests in flight")
  int maxInFlight;
  @Option(names = "--connections", defaultValue = "2", description = "gRPC connections (calls spread over them)")
  int connections;
  @Option(names = "--io-threads", defaultValue = "1", description = "event-loop (gRPC) or client (HTTP) threads")
  int ioThreads;
  @Option(names = "--deadline-ms", defaultValue = "10000")
  long deadlineMillis;
  @Option(names = "--pipeline", defaultValue = "threestep", description = "junction-run: the pipeline")
  String pipeline;
  @Option(names = "--model", defaultValue = "pipeline", description = "oip: the model")
  String model;
  @Option(names = "--input-name", defaultValue = "x")
  String inputName;
  @Option(names = "--output-name", defaultValue = "y")
  String outputName;
  @Option(names = "--expect", defaultValue = "y", description = "threestep: the case key of the expected output")
  String expect;
  @Option(names = "--worker-of", description = "call the worker that serves this model directly "
      + "(its endpoint from AdminService.ListPools at --address) instead of --address")
  String workerOf;
  @Option(names = "--overhead-rounds", defaultValue = "0", description = "with --worker-of: alternate this many "
      + "one-client rounds direct to the worker and through --address, and report both paths (the per-step overhead)")
  int overheadRounds;
  @Option(names = "--json", description = "write the results here")
  Path json;

  public static void main(String[] args) {
    // bench/run passes defaults first and a workload may override them: the last one wins.
    System.exit(new CommandLine(new LoadGen()).setOverwrittenOptionsAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (concurrency.isEmpty() && rates.isEmpty() && rateFractions.isEmpty()) {
      concurrency = List.of(1);
    }
    JsonObject ref = JsonParser.parseString(Files.readString(reference, StandardCharsets.UTF_8)).getAsJsonObject();
    JsonArray cases = ref.getAsJsonArray("cases");
    String where = httpProtocol() ? url : address;
    if (workerOf != null) {
      where = workerEndpoint(address, workerOf);
    }
    if (overheadRounds > 0) {
      return overhead(cases, where);
    }
    String name = label != null ? label : protocol + "@" + where;
    PrintStream out = System.out;
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("label", name);
    result.put("workload", workload);
    result.put("target", protocol);
    result.put("address", where);
    List<Map<String, Object>> runs = new ArrayList<>();
    result.put("runs", runs);
    try (Target target = Workloads.target(workload, cases, call(where))) {
      Map<String, Object> check = checkAnswers(target);
      result.put("check", check);
      out.printf("%s: answers checked: %s of %s cases correct%s%n", name, check.get("correct"), check.get("cases"),
          check.containsKey("first_error") ? " (first error: " + check.get("first_error") + ")" : "");
      Driver driver = new Driver(Ticker.SYSTEM);
      boolean warm = warmUp(driver, target, out, name);
      double best = 0;
      for (int clients : concurrency) {
        Driver.Result r = driver.closedLoop(target, clients, plan(warm || !runs.isEmpty()));
        best = Math.max(best, r.summary().throughput());
        runs.add(report(out, name, r));
      }
      List<Double> offered = new ArrayList<>(rates);
      for (double f : rateFractions) {
        if (best > 0) {
          offered.add(Math.max(1, Math.round(f * best)) * 1.0);
        }
      }
      for (double rate : offered) {
        runs.add(report(out, name, driver.openLoop(target, rate, maxInFlight, plan(warm || !runs.isEmpty()))));
      }
    }
    write(result);
    return 0;
  }

  private boolean httpProtocol() {
    return protocol.equals("http") || protocol.equals("oip-http");
  }

  /**
   * With --settle-seconds and closed-loop client counts: the warm-up, once, as unrecorded closed
   * loops at each client count in turn, each an equal share of it. Warming at one client only would
   * leave the paths that concurrency takes (a batch of many rows, a full queue) interpreted for the
   * first runs at 8 and 64.
   *
   * @return whether it warmed up (then every run gets only the settle time)
   */
  private boolean warmUp(Driver driver, Target target, PrintStream out, String name) throws InterruptedException {
    if (settleSeconds == null || concurrency.isEmpty() || warmupSeconds <= 0) {
      return false;
    }
    long share = (long) (warmupSeconds * 1e9 / concurrency.size());
    for (int clients : concurrency) {
      driver.closedLoop(target, clients, new Driver.Plan(0, share, maxRequests, (long) (drainSeconds * 1e9)));
    }
    out.printf("%s: warmed up %.0f s at %s clients in turn (not counted)%n", name, warmupSeconds, concurrency);
    return true;
  }

  /** The plan of one run: after the warm-up, the settle time before it; else its own warm-up. */
  private Driver.Plan plan(boolean warm) {
    double w = warm && settleSeconds != null ? settleSeconds : warmupSeconds;
    return new Driver.Plan((long) (w * 1e9), (long) (seconds * 1e9), maxRequests, (long) (drainSeconds * 1e9));
  }

  /** The plan of one of {@code parts} rounds that share the warm-up and the measured period. */
  private Driver.Plan plan(int parts) {
    return new Driver.Plan((long) (warmupSeconds * 1e9 / parts), (long) (seconds * 1e9 / parts), maxRequests,
        (long) (drainSeconds * 1e9));
  }

  private Workloads.Call call(String where) {
    int colon = where.lastIndexOf(':');
    return new Workloads.Call(protocol,
        httpProtocol() ? "" : where.substring(0, colon),
        httpProtocol() ? 0 : Integer.parseInt(where.substring(colon + 1)),
        url, connections, ioThreads, deadlineMillis, pipeline, model, inputName, outputName, expect);
  }

  /**
   * The per-step overhead: the same call direct to the worker and through the orchestrator, one
   * client, in alternating rounds so that both paths see the same machine (a shared machine's load
   * drifts over minutes). Each path's figures pool all its rounds.
   */
  private Integer overhead(JsonArray cases, String worker) throws Exception {
    if (workerOf == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--overhead-rounds: needs --worker-of");
    }
    String name = label != null ? label : "overhead@" + worker;
    Driver driver = new Driver(Ticker.SYSTEM);
    Map<String, Recorder> recorders = new LinkedHashMap<>();
    Map<String, Double> periods = new LinkedHashMap<>();
    Map<String, Object> checks = new LinkedHashMap<>();
    try (Target direct = Workloads.target(workload, cases, call(worker));
        Target through = Workloads.target(workload, cases, call(address))) {
      Map<String, Target> paths = new LinkedHashMap<>();
      paths.put("direct", direct);
      paths.put("orchestrator", through);
      for (var p : paths.entrySet()) {
        checks.put(p.getKey(), checkAnswers(p.getValue()));
        recorders.put(p.getKey(), new Recorder());
        periods.put(p.getKey(), 0.0);
      }
      for (int round = 0; round < overheadRounds; round++) {
        for (var p : paths.entrySet()) {
          Driver.Result r = driver.closedLoop(p.getValue(), 1, plan(overheadRounds), recorders.get(p.getKey()));
          periods.merge(p.getKey(), r.summary().seconds(), Double::sum);
        }
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("label", name);
    result.put("workload", workload);
    result.put("target", protocol);
    result.put("address", address);
    result.put("worker", worker);
    result.put("rounds", overheadRounds);
    result.put("check", checks);
    List<Map<String, Object>> runs = new ArrayList<>();
    for (var e : recorders.entrySet()) {
      Driver.Result pooled = new Driver.Result("closed", 1, 0, e.getValue().summarize(periods.get(e.getKey())), 0, 0);
      Map<String, Object> m = report(System.out, name + " " + e.getKey(), pooled);
      m.put("path", e.getKey());
      runs.add(m);
    }
    result.put("runs", runs);
    write(result);
    return 0;
  }

  private void write(Map<String, Object> result) throws java.io.IOException {
    if (json != null) {
      Files.writeString(json, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
          .create().toJson(result) + "\n", StandardCharsets.UTF_8);
    }
  }

  /** Sends each case once, one at a time, before any measurement, so a wrong system shows at once. */
  private Map<String, Object> checkAnswers(Target target) throws Exception {
    int correct = 0;
    String firstError = null;
    for (int i = 0; i < target.cases(); i++) {
      CompletableFuture<String> answer = new CompletableFuture<>();
      target.send(i, new Target.Outcome() {
        @Override
        public void ok() {
          answer.complete(null);
        }

        @Override
        public void error(String what) {
          answer.complete(what);
        }
      });
      String wrong = answer.get(deadlineMillis + 5000, TimeUnit.MILLISECONDS);
      if (wrong == null) {
        correct++;
      } else if (firstError == null) {
        firstError = "case " + i + ": " + wrong;
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cases", target.cases());
    m.put("correct", correct);
    if (firstError != null) {
      m.put("first_error", firstError);
    }
    return m;
  }

  private static Map<String, Object> report(PrintStream out, String name, Driver.Result r) {
    Recorder.Summary s = r.summary();
    String what = r.mode().equals("closed") ? "closed c=" + r.clients() : String.format("open %.0f/s", r.rate());
    out.printf("%s %s: %.1f req/s  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms  ok %d  errors %d%s%s%n",
        name, what, s.throughput(), s.p50Us() / 1000, s.p90Us() / 1000, s.p99Us() / 1000, s.p999Us() / 1000,
        s.maxUs() / 1000, s.ok(), s.errors(),
        r.lateSends() > 0 ? "  late sends " + r.lateSends() : "",
        s.errorKinds().isEmpty() ? "" : "  " + s.errorKinds());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", r.mode());
    m.put("clients", r.clients());
    m.put("rate", r.rate());
    m.put("ok", s.ok());
    m.put("errors", s.errors());
    m.put("seconds", s.seconds());
    m.put("throughput", Math.round(s.throughput() * 10) / 10.0);
    m.put("mean_us", s.meanUs());
    m.put("p50_us", s.p50Us());
    m.put("p90_us", s.p90Us());
    m.put("p99_us", s.p99Us());
    m.put("p999_us", s.p999Us());
    m.put("max_us", s.maxUs());
    m.put("late_sends", r.lateSends());
    m.put("unsent", r.unsent());
    m.put("error_kinds", s.errorKinds());
    return m;
  }

  /** The endpoint of a READY replica of the pool that serves {@code model}, from the orchestrator. */
  static String workerEndpoint(String orchestrator, String model) throws InterruptedException {
    int colon = orchestrator.lastIndexOf(':');
    ManagedChannel ch = NettyChannelBuilder.forAddress(orchestrator.substring(0, colon),
        Integer.parseInt(orchestrator.substring(colon + 1))).usePlaintext().build();
    try {
      for (PoolInfo pool : AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .listPools(ListPoolsRequest.getDefaultInstance()).getPoolsList()) {
        if (pool.getModelsList().contains(model)) {
          for (ReplicaInfo r : pool.getReplicasList()) {
            if (r.getState().equals("READY") && r.getEndpoint().matches(".+:\\d+")) {
              return r.getEndpoint();
            }
          }
        }
      }
      throw new IllegalStateException("--worker-of: " + model
          + " (expected: a model of a pool with a READY replica reachable over TCP host:port)");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
