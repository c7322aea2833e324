package io.junction.orchestrator.config;

import io.junction.engine.PipelineSpec;
import io.junction.engine.StepSpec;
import io.junction.engine.TensorRef;
import io.junction.orchestrator.admission.AdmissionConfig;
import io.junction.orchestrator.admission.Priority;
import io.junction.orchestrator.config.YamlNode.Fields;
import io.junction.orchestrator.pool.Autoscaling;
import io.junction.orchestrator.pool.Device;
import io.junction.orchestrator.pool.DnsService;
import io.junction.orchestrator.pool.HealthPolicy;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.orchestrator.routing.RetryBudgetPolicy;
import io.junction.orchestrator.session.SessionConfig;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import io.junction.workers.runtime.CpuAffinity;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads the orchestrator's YAML configuration into a {@link JunctionConfig}, validating it
 * once: types, ranges, unknown keys, unique names, each model served by exactly one pool, and
 * pipelines naming only models some pool serves. Errors name the file, the path inside it,
 * the value and what was expected. Reads the YAML as nodes (not into maps) to keep line
 * numbers and to see repeated keys. Tensor-level checks of pipelines need the models'
 * signatures and happen when the pipelines are compiled.
 */
public final class ConfigLoader {
  static final String DEMO_RESOURCE = "/io/junction/orchestrator/config/demo.yaml";
  private static final Pattern CPU_PLACEHOLDER = Pattern.compile("\\$\\{cpus:(\\d{1,4})/(\\d{1,4})}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern STEP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
  private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");
  private static final String NAME_RULE = "letters, digits, '_', '-' or '.', starting with a letter or digit";

  private static final List<String> TOP = List.of("server", "repository", "pools", "pipelines", "limits", "sessions",
      "admission");
  private static final List<String> ADMISSION = List.of("max_in_flight", "batch_share");
  private static final List<String> SERVER = List.of("host", "port", "http_port", "shutdown_grace_ms");
  /** One hour: a longer drain is a mistake in the units rather than a wish. */
  static final long MAX_SHUTDOWN_GRACE_MS = 3_600_000;
  private static final List<String> LIMITS = List.of("max_message_bytes", "max_text_chars", "max_k",
      "max_tensor_elements", "max_batch_size", "max_string_bytes", "max_steps_executed",
      "max_concurrent_streams_per_connection", "max_open_streams");
  private static final List<String> SESSIONS = List.of("max_sessions", "max_turns", "idle_ttl_ms");
  private static final List<String> POOL = List.of("name", "kind", "models", "replicas", "device", "fallback", "cpus",
      "endpoints", "repository", "max_in_flight", "max_queue", "health_interval_ms", "start_timeout_ms", "jvm_options",
      "batching", "affinity", "probe_timeout_ms", "unhealthy_after", "kill_after_ms", "stall_after_ms",
      "outlier_ejection", "min_replicas", "max_replicas", "autoscaling", "retry_budget", "service",
      "resolve_interval_ms");
  /** Only a dns pool resolves a name. */
  private static final List<String> DNS_ONLY = List.of("service", "resolve_interval_ms");
  /** Labels of letters, digits and '-', separated by dots (an IPv4 address matches too). */
  private static final Pattern DNS_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
  /** What makes a pool autoscale: only a local pool can, since only there do we start and stop workers. */
  private static final List<String> AUTOSCALED = List.of("min_replicas", "max_replicas", "autoscaling");
  private static final List<String> AUTOSCALING = List.of("upscale_queue", "upscale_after_ms", "downscale_after_ms",
      "check_interval_ms");
  private static final List<String> LOCAL_ONLY =
      List.of("replicas", "device", "fallback", "cpus", "repository", "jvm_options", "batching", "kill_after_ms");
  private static final List<String> OUTLIER_EJECTION = List.of("enabled", "consecutive_failures", "failure_rate_percent",
      "min_calls", "window_ms", "base_ejection_ms", "max_ejection_ms", "probation_calls");
  private static final List<String> RETRY_BUDGET = List.of("ratio", "min_per_second");
  private static final List<String> PIPELINE = List.of("name", "inputs", "outputs", "steps", "fuse", "priority");
  private static final List<String> INPUT = List.of("name", "datatype", "shape", "default");
  private static final List<String> OUTPUT = List.of("name", "from");
  private static final List<String> STEP =
      List.of("name", "model", "inputs", "timeout_ms", "retries", "fallback", "loop", "merge", "switch");
  private static final List<String> STEP_FALLBACK = List.of("model", "inputs");
  private static final List<String> KINDS = List.of("model", "loop", "merge", "switch");
  private static final List<String> LOOP = List.of("model", "inputs", "feedback", "collect", "until", "max_iterations",
      "iteration");
  private static final List<String> FEEDBACK = List.of("input", "output", "window", "start");
  private static final List<String> UNTIL = List.of("output", "equals");
  private static final List<String> MERGE = List.of("concat", "first_of", "axis", "output");
  private static final List<String> SWITCH = List.of("on", "cases", "default");
  private static final List<String> CASE = List.of("equals", "steps");

  private final String file;
  private final Path baseDir;
  /** Every model some pool serves, in the order written, and the pool that serves it. */
  private final Map<String, String> poolOfModel = new LinkedHashMap<>();
  /** The max_queue a pool's config gives, by pool, for the check against admission's bound. */
  private final Map<String, YamlNode> explicitMaxQueue = new LinkedHashMap<>();
  /** Each pipeline's priority:, by pipeline, where its config gives one. */
  private final Map<String, Priority> pipelinePriorities = new LinkedHashMap<>();

  private ConfigLoader(String file, Path baseDir) {
    this.file = file;
    this.baseDir = baseDir;
  }

  /**
   * Loads a configuration file. A relative {@code repository} is resolved against the
   * file's directory.
   */
  public static JunctionConfig load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "", "cannot be read: " + e
          + " (expected: a readable YAML file)", 0);
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(file.toString(), text, dir == null ? Path.of("").toAbsolutePath() : dir);
  }

  /**
   * The demo configuration: both workloads on local CPU workers, serving the model
   * repository {@code repository} (as the model kit builds it), pinned to the CPUs this process
   * may run on.
   */
  public static JunctionConfig demo(Path repository) throws ConfigException {
    return demo(repository, CpuAffinity.current());
  }

  /**
   * The demo for a process of this affinity: {@code ${cpus:K/N}} in demo.yaml becomes the K-th of
   * N equal parts (counted from 0) of the CPUs it may run on, so that the demo pins its workers to
   * CPUs that exist on any machine: on two cores {@code 0} and {@code 1}, on four {@code 0,1} and
   * {@code 2,3}, on a container given CPUs 4-5 those; with fewer CPUs than parts, part K gets
   * CPU K modulo their count (one core: both pools on it).
   */
  static JunctionConfig demo(Path repository, CpuAffinity affinity) throws ConfigException {
    String text;
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEMO_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + DEMO_RESOURCE + " is missing from the build");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("resource " + DEMO_RESOURCE + " cannot be read", e);
    }
    Path repo = repository.toAbsolutePath().normalize();
    Matcher m = CPU_PLACEHOLDER.matcher(text.replace("${repository}", yamlQuoted(repo.toString())));
    StringBuilder pinned = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(pinned, "\"" + cpuPart(affinity.cpus(), Integer.parseInt(m.group(1)),
          Integer.parseInt(m.group(2))) + "\"");
    }
    m.appendTail(pinned);
    return parse("demo.yaml", pinned.toString(), repo);
  }

  /** Part {@code k} of {@code parts} equal runs of {@code cpus}, as a CPU list ("2,3"). */
  static String cpuPart(List<Integer> cpus, int k, int parts) {
    if (parts < 1 || k >= parts) {
      throw new IllegalStateException("demo.yaml: ${cpus:" + k + "/" + parts + "} (expected: K/N with K < N)");
    }
    if (cpus.size() < parts) {
      return Integer.toString(cpus.get(k % cpus.size()));
    }
    int per = cpus.size() / parts;
    List<Integer> mine = cpus.subList(k * per, k == parts - 1 ? cpus.size() : (k + 1) * per);
    return String.join(",", mine.stream().map(String::valueOf).toList());
  }

  /** Parses configuration text; {@code file} names it in messages, {@code baseDir} resolves relative paths. */
  static JunctionConfig parse(String file, String text, Path baseDir) throws ConfigException {
    return new ConfigLoader(file, baseDir).parse(text);
  }

  /** A YAML double-quoted scalar, so that any path (spaces, colons, '#') reads back as itself. */
  static String yamlQuoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private JunctionConfig parse(String text) throws ConfigException {
    Node rootNode;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowRecursiveKeys(false);
      rootNode = new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      throw new ConfigException(file, "", "not valid YAML: " + e.getProblem() + " (expected: a YAML mapping)", line);
    } catch (YAMLException e) {
      throw new ConfigException(file, "", "not valid YAML: " + e.getMessage() + " (expected: a YAML mapping)", 0);
    }
    if (rootNode == null) {
      throw new ConfigException(file, "", "empty (expected: a mapping with pools, pipelines, server and limits)", 0);
    }
    Fields top = YamlNode.root(file, rootNode).fields("a mapping with pools, pipelines, server and limits", TOP);

    JunctionConfig.Server server = JunctionConfig.Server.DEFAULT;
    if (top.has("server")) {
      server = server(top.get("server").orElseThrow());
    }
    Optional<Path> repository = Optional.empty();
    if (top.has("repository")) {
      repository = Optional.of(path(top.get("repository").orElseThrow()));
    }
    List<YamlNode> poolNodes = top.require("pools", "a list of pools").list("a list of pools");
    if (poolNodes.isEmpty()) {
      throw top.require("pools", "").fail("empty (expected: at least one pool)");
    }
    List<PoolSpec> pools = new ArrayList<>();
    Set<String> poolNames = new HashSet<>();
    for (YamlNode p : poolNodes) {
      pools.add(pool(p, repository, poolNames));
    }
    List<PipelineSpec> pipelines = new ArrayList<>();
    if (top.has("pipelines")) {
      Set<String> names = new HashSet<>();
      for (YamlNode p : top.get("pipelines").orElseThrow().list("a list of pipelines")) {
        pipelines.add(pipeline(p, names));
      }
    }
    JunctionConfig.Limits limits = JunctionConfig.Limits.DEFAULT;
    if (top.has("limits")) {
      limits = limits(top.get("limits").orElseThrow());
    }
    SessionConfig sessions = SessionConfig.DEFAULT;
    if (top.has("sessions")) {
      sessions = sessions(top.get("sessions").orElseThrow());
    }
    AdmissionConfig admission = AdmissionConfig.DEFAULT;
    if (top.has("admission")) {
      admission = admission(top.get("admission").orElseThrow());
    }
    admission = admission.withPipelinePriorities(pipelinePriorities);
    return new JunctionConfig(server, repository, queuesFor(pools, pipelines, admission), pipelines, limits, sessions,
        admission);
  }

  private static AdmissionConfig admission(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with " + String.join(", ", ADMISSION), ADMISSION);
    AdmissionConfig d = AdmissionConfig.DEFAULT;
    int maxInFlight = limit(f, "max_in_flight", 1, AdmissionConfig.MAX_IN_FLIGHT_LIMIT, d.maxInFlight());
    double batchShare = d.batchShare();
    if (f.has("batch_share")) {
      YamlNode b = f.get("batch_share").orElseThrow();
      try {
        batchShare = Double.parseDouble(b.text("a number > 0 and <= 1, like 0.5"));
      } catch (NumberFormatException e) {
        throw b.expected("a number > 0 and <= 1, like 0.5");
      }
      if (!(batchShare > 0 && batchShare <= 1)) {
        throw b.expected("a number > 0 and <= 1, like 0.5");
      }
    }
    return new AdmissionConfig(maxInFlight, batchShare, Map.of());
  }

  /**
   * Each pool's queue bound: what admission lets wait at once (every admitted request with each of
   * its steps, {@link AdmissionConfig#queueBound}), so that an admitted step never finds a pool's
   * queue full. A max_queue the config gives must hold that many: below it, the key would refuse
   * admitted work halfway through its pipeline, which it no longer may. Each replica also keeps
   * slots for interactive work: batch calls may hold {@code admission.batch_share} of its
   * max_in_flight, as batch requests may hold that share of admission.
   */
  private List<PoolSpec> queuesFor(List<PoolSpec> pools, List<PipelineSpec> pipelines, AdmissionConfig admission)
      throws ConfigException {
    int steps = pipelines.stream().mapToInt(p -> p.steps().size()).max().orElse(1);
    long bound = admission.queueBound(steps);
    List<PoolSpec> out = new ArrayList<>(pools.size());
    for (PoolSpec p : pools) {
      YamlNode given = explicitMaxQueue.get(p.name());
      if (given != null && p.maxQueue() < bound) {
        throw given.fail(p.maxQueue() + " (expected: >= " + bound + ", admission.max_in_flight " + admission.maxInFlight()
            + " x " + steps + " steps a request can have waiting, so that an admitted request's step is never refused"
            + " for want of room; or leave max_queue out: it follows from admission)");
      }
      PoolSpec q = given != null ? p : p.withMaxQueue((int) Math.min(bound, Integer.MAX_VALUE));
      out.add(q.withBatchShare(admission.batchShare()));
    }
    return out;
  }

  private JunctionConfig.Server server(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with host, port, http_port, shutdown_grace_ms", SERVER);
    JunctionConfig.Server d = JunctionConfig.Server.DEFAULT;
    String host = f.has("host") ? f.get("host").orElseThrow().text("a host name or address, like 127.0.0.1") : d.host();
    int port = f.has("port") ? f.get("port").orElseThrow().integer(0, 65535) : d.port();
    int httpPort = f.has("http_port") ? f.get("http_port").orElseThrow().integer(0, 65535) : d.httpPort();
    if (port != 0 && port == httpPort) {
      YamlNode at = f.get("http_port").or(() -> f.get("port")).orElseThrow();
      throw at.fail(httpPort + " (expected: http_port and port to differ)");
    }
    Duration grace = millis(f, "shutdown_grace_ms", 0L, MAX_SHUTDOWN_GRACE_MS, d.shutdownGrace());
    return new JunctionConfig.Server(host, port, httpPort, grace);
  }

  private static JunctionConfig.Limits limits(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with " + String.join(", ", LIMITS), LIMITS);
    JunctionConfig.Limits d = JunctionConfig.Limits.DEFAULT;
    return new JunctionConfig.Limits(
        limit(f, "max_message_bytes", 1024, Integer.MAX_VALUE, d.maxMessageBytes()),
        limit(f, "max_text_chars", 1, 1_000_000, d.maxTextChars()),
        limit(f, "max_k", 1, 10_000, d.maxK()),
        // Tensor.MAX_ELEMENTS is what a tensor may ever hold, whatever the config says
        limit(f, "max_tensor_elements", 1, (int) Tensor.MAX_ELEMENTS, d.maxTensorElements()),
        limit(f, "max_batch_size", 1, 1_000_000, d.maxBatchSize()),
        limit(f, "max_string_bytes", 1, Integer.MAX_VALUE, d.maxStringBytes()),
        limit(f, "max_steps_executed", 1, 10_000_000, d.maxStepsExecuted()),
        limit(f, "max_concurrent_streams_per_connection", 1, Integer.MAX_VALUE, d.maxConcurrentStreamsPerConnection()),
        limit(f, "max_open_streams", 1, 1_000_000, d.maxOpenStreams()));
  }

  private static int limit(Fields f, String key, int min, int max, int absent) throws ConfigException {
    return f.has(key) ? f.get(key).orElseThrow().integer(min, max) : absent;
  }

  /** A duration given in milliseconds under {@code key}, from min to max, or {@code absent}. */
  private static Duration millis(Fields f, String key, long min, long max, Duration absent) throws ConfigException {
    return f.has(key) ? Duration.ofMillis(f.get(key).orElseThrow().integer(min, max)) : absent;
  }

  private static SessionConfig sessions(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with max_sessions, max_turns, idle_ttl_ms", SESSIONS);
    SessionConfig d = SessionConfig.DEFAULT;
    return new SessionConfig(
        limit(f, "max_sessions", 1, SessionConfig.MAX_SESSIONS_LIMIT, d.maxSessions()),
        limit(f, "max_turns", 1, SessionConfig.MAX_TURNS_LIMIT, d.maxTurns()),
        millis(f, "idle_ttl_ms", 1L, SessionConfig.MAX_IDLE_TTL_MS, d.idleTtl()));
  }

  private Path path(YamlNode n) throws ConfigException {
    return baseDir.resolve(n.text("a directory path")).normalize();
  }

  private String name(YamlNode n, String what) throws ConfigException {
    String s = n.text(what + ": " + NAME_RULE);
    if (!NAME.matcher(s).matches()) {
      throw n.expected(what + ": " + NAME_RULE);
    }
    return s;
  }

  // ---- pools ----

  private PoolSpec pool(YamlNode n, Optional<Path> defaultRepository, Set<String> names) throws ConfigException {
    Fields f = n.fields("a mapping with name, kind, models, ...", POOL);
    YamlNode nameNode = f.require("name", "the pool's name");
    String name = name(nameNode, "a pool name");
    if (!names.add(name)) {
      throw nameNode.expected("a name no other pool has");
    }
    PoolSpec.Kind kind = kind(f);
    checkKeysOfKind(f, kind);

    List<String> models = new ArrayList<>();
    List<YamlNode> modelNodes = f.require("models", "a list of the models this pool serves").list("a list of model names");
    if (modelNodes.isEmpty()) {
      throw f.require("models", "").fail("empty (expected: at least one model)");
    }
    for (YamlNode m : modelNodes) {
      String model = name(m, "a model name");
      String other = poolOfModel.putIfAbsent(model, name);
      if (other != null) {
        throw m.expected(other.equals(name) ? "each model once" : "a model no other pool serves; pool " + other + " serves it");
      }
      models.add(model);
    }

    List<String> endpoints = new ArrayList<>();
    int replicas;
    Optional<Autoscaling> autoscaling = Optional.empty();
    Optional<DnsService> service = Optional.empty();
    if (kind == PoolSpec.Kind.STATIC) {
      endpoints = endpoints(f);
      replicas = endpoints.size();
    } else if (kind == PoolSpec.Kind.DNS) {
      service = Optional.of(dnsService(f));
      replicas = 1;
    } else {
      autoscaling = autoscaling(f);
      int initial = autoscaling.map(Autoscaling::minReplicas).orElse(1);
      replicas = f.has("replicas") ? f.get("replicas").orElseThrow().integer(1, 64) : initial;
      if (autoscaling.isPresent() && !autoscaling.get().allows(replicas)) {
        throw f.get("replicas").orElseThrow().expected("between min_replicas " + autoscaling.get().minReplicas()
            + " and max_replicas " + autoscaling.get().maxReplicas() + ": the count the pool starts with");
      }
    }
    // One entry per replica the pool may run at once.
    int slots = autoscaling.map(Autoscaling::maxReplicas).orElse(replicas);

    Device device = Device.CPU;
    if (f.has("device")) {
      YamlNode d = f.get("device").orElseThrow();
      try {
        device = Device.parse(d.text("cpu or gpu:N with N >= 0"));
      } catch (IllegalArgumentException e) {
        throw d.expected("cpu or gpu:N with N >= 0");
      }
    }
    boolean fallbackCpu = false;
    if (f.has("fallback")) {
      YamlNode fb = f.get("fallback").orElseThrow();
      if (!"cpu".equals(fb.text("cpu"))) {
        throw fb.expected("cpu");
      }
      if (!device.isGpu()) {
        throw fb.fail("cpu with device " + device + " (expected: only with a gpu device)");
      }
      fallbackCpu = true;
    }

    List<String> cpus = new ArrayList<>();
    if (f.has("cpus")) {
      YamlNode c = f.get("cpus").orElseThrow();
      if (c.isList()) {
        List<YamlNode> entries = c.list("a cpu list or one per replica");
        if (entries.size() != slots) {
          throw c.fail(entries.size() + " entries (expected: one per replica, " + slots
              + (autoscaling.isPresent() ? " (max_replicas)" : "") + ", or one string for every replica)");
        }
        for (YamlNode e : entries) {
          cpus.add(cpuList(e));
        }
      } else {
        cpus.add(cpuList(c));
      }
    }

    Optional<Path> repository = Optional.empty();
    if (kind == PoolSpec.Kind.LOCAL) {
      repository = f.has("repository") ? Optional.of(path(f.get("repository").orElseThrow())) : defaultRepository;
      if (repository.isEmpty()) {
        throw f.absent("repository").fail("missing (expected: a model repository here or at the top level)");
      }
    }
    int maxInFlight = f.has("max_in_flight") ? f.get("max_in_flight").orElseThrow().integer(1, 100_000) : 64;
    int maxQueue = PoolSpec.DEFAULT_MAX_QUEUE;
    if (f.has("max_queue")) {
      YamlNode q = f.get("max_queue").orElseThrow();
      maxQueue = q.integer(0, PoolSpec.MAX_QUEUE_LIMIT);
      explicitMaxQueue.put(name, q);
    }
    long health = f.has("health_interval_ms") ? f.get("health_interval_ms").orElseThrow().integer(10L, 3_600_000L) : 1000;
    long start = f.has("start_timeout_ms") ? f.get("start_timeout_ms").orElseThrow().integer(1L, 3_600_000L) : 120_000;
    List<String> jvmOptions = new ArrayList<>();
    if (f.has("jvm_options")) {
      for (YamlNode o : f.get("jvm_options").orElseThrow().list("a list of JVM options, like -Xmx512m")) {
        String opt = o.text("a JVM option, like -Xmx512m");
        if (!opt.startsWith("-")) {
          throw o.expected("a JVM option starting with '-', like -Xmx512m");
        }
        jvmOptions.add(opt);
      }
    }
    boolean batching = !f.has("batching") || f.get("batching").orElseThrow().bool();
    return new PoolSpec(name, kind, models, replicas, device, fallbackCpu, cpus, endpoints, repository, maxInFlight,
        Duration.ofMillis(health), Duration.ofMillis(start), jvmOptions, batching, affinity(f), maxQueue,
        outlierEjection(f), health(f), autoscaling, retryBudget(f), maxInFlight, service);
  }

  private static PoolSpec.Kind kind(Fields f) throws ConfigException {
    if (!f.has("kind")) {
      return PoolSpec.Kind.LOCAL;
    }
    YamlNode k = f.get("kind").orElseThrow();
    return switch (k.text("local, static or dns")) {
      case "local" -> PoolSpec.Kind.LOCAL;
      case "static" -> PoolSpec.Kind.STATIC;
      case "dns" -> PoolSpec.Kind.DNS;
      default -> throw k.expected("local, static or dns");
    };
  }

  /**
   * Refuses the keys a pool of {@code kind} has no use for: a static or dns pool is run and placed
   * by someone else, so neither autoscales nor takes what only a local pool's launches use; the
   * endpoints are a static pool's, the service a dns pool's.
   */
  private static void checkKeysOfKind(Fields f, PoolSpec.Kind kind) throws ConfigException {
    if (kind != PoolSpec.Kind.LOCAL) {
      String members = kind == PoolSpec.Kind.STATIC ? "a static pool has one replica per endpoint"
          : "a dns pool has one replica per address its service resolves to";
      String what = kind == PoolSpec.Kind.STATIC ? "static" : "dns";
      for (String key : AUTOSCALED) {
        if (f.has(key)) {
          throw f.get(key).orElseThrow().fail("given for a " + what + " pool (expected: autoscaling applies to local"
              + " pools only; " + members + ", started and stopped by whoever runs it)");
        }
      }
      for (String key : LOCAL_ONLY) {
        if (f.has(key)) {
          throw f.get(key).orElseThrow().fail("given for a " + what + " pool (expected: only in local pools; "
              + members + ", run and placed by whoever runs it)");
        }
      }
    }
    if (kind != PoolSpec.Kind.STATIC && f.has("endpoints")) {
      throw f.get("endpoints").orElseThrow().fail("given for a " + kind.name().toLowerCase(Locale.ROOT)
          + " pool (expected: only in static pools" + (kind == PoolSpec.Kind.DNS ? "; a dns pool names its service"
          : "") + ")");
    }
    for (String key : DNS_ONLY) {
      if (kind != PoolSpec.Kind.DNS && f.has(key)) {
        throw f.get(key).orElseThrow().fail("given for a " + kind.name().toLowerCase(Locale.ROOT)
            + " pool (expected: only in dns pools)");
      }
    }
  }

  private static List<String> endpoints(Fields f) throws ConfigException {
    List<String> endpoints = new ArrayList<>();
    List<YamlNode> eps = f.require("endpoints", "a list of host:port, one per replica").list("a list of host:port");
    if (eps.isEmpty()) {
      throw f.require("endpoints", "").fail("empty (expected: at least one host:port)");
    }
    for (YamlNode e : eps) {
      String ep = endpoint(e);
      if (endpoints.contains(ep)) {
        throw e.expected("each endpoint once");
      }
      endpoints.add(ep);
    }
    return endpoints;
  }

  /** A dns pool's service (host:port) and resolve_interval_ms. */
  private static DnsService dnsService(Fields f) throws ConfigException {
    YamlNode n = f.require("service", "the host:port of the headless Service whose addresses are the members");
    String s = endpoint(n);
    int colon = s.lastIndexOf(':');
    String host = s.substring(0, colon);
    if (host.startsWith("[") || !DNS_NAME.matcher(host).matches()) {
      throw n.expected("host:port with a DNS name or an IPv4 address as host, like workers.junction.svc.cluster.local:50051");
    }
    Duration interval = millis(f, "resolve_interval_ms", DnsService.MIN_RESOLVE_INTERVAL.toMillis(),
        DnsService.MAX_RESOLVE_INTERVAL.toMillis(), DnsService.DEFAULT_RESOLVE_INTERVAL);
    return new DnsService(host, Integer.parseInt(s.substring(colon + 1)), interval);
  }

  /** The pool's retry_budget block; each key has its default (RetryBudgetPolicy.DEFAULT). */
  private static RetryBudgetPolicy retryBudget(Fields pool) throws ConfigException {
    if (!pool.has("retry_budget")) {
      return RetryBudgetPolicy.DEFAULT;
    }
    Fields f = pool.get("retry_budget").orElseThrow().fields("a mapping with ratio and min_per_second", RETRY_BUDGET);
    RetryBudgetPolicy d = RetryBudgetPolicy.DEFAULT;
    return new RetryBudgetPolicy(
        f.has("ratio") ? f.get("ratio").orElseThrow().decimal(0, 1) : d.ratio(),
        f.has("min_per_second") ? f.get("min_per_second").orElseThrow().decimal(0, 10_000) : d.minPerSecond());
  }

  /**
   * A local pool's min_replicas, max_replicas and autoscaling block, given together (the block
   * alone has nothing to scale between); empty when none is given: the pool keeps its count.
   */
  private static Optional<Autoscaling> autoscaling(Fields pool) throws ConfigException {
    if (AUTOSCALED.stream().noneMatch(pool::has)) {
      return Optional.empty();
    }
    String both = "min_replicas and max_replicas together, to autoscale the pool";
    int min = pool.require("min_replicas", both).integer(1, 64);
    YamlNode maxNode = pool.require("max_replicas", both);
    int max = maxNode.integer(1, 64);
    if (max < min) {
      throw maxNode.expected(">= min_replicas, " + min);
    }
    int queue = Autoscaling.DEFAULT_UPSCALE_QUEUE;
    Duration up = Autoscaling.DEFAULT_UPSCALE_AFTER;
    Duration down = Autoscaling.DEFAULT_DOWNSCALE_AFTER;
    Duration check = Autoscaling.DEFAULT_CHECK_INTERVAL;
    Fields a = null;
    if (pool.has("autoscaling")) {
      a = pool.get("autoscaling").orElseThrow().fields(
          "a mapping with upscale_queue, upscale_after_ms, downscale_after_ms, check_interval_ms", AUTOSCALING);
      queue = limit(a, "upscale_queue", 0, 1_000_000, queue);
      up = millis(a, "upscale_after_ms", 10L, 86_400_000L, up);
      down = millis(a, "downscale_after_ms", 10L, 86_400_000L, down);
      check = millis(a, "check_interval_ms", 10L, 3_600_000L, check);
    }
    // Defaults are consistent with each other, so a mismatch involves a value given in the block.
    if (a != null && (up.compareTo(check) < 0 || down.compareTo(check) < 0)) {
      String key = up.compareTo(check) < 0 ? "upscale_after_ms" : "downscale_after_ms";
      long given = (up.compareTo(check) < 0 ? up : down).toMillis();
      Fields block = a;
      YamlNode at = block.get(key).or(() -> block.get("check_interval_ms")).orElseThrow();
      throw at.fail(key + ": " + given + " (expected: >= check_interval_ms, " + check.toMillis() + ")");
    }
    return Optional.of(new Autoscaling(min, max, queue, up, down, check));
  }

  /** The pool's gentle health settings: probe_timeout_ms, unhealthy_after, kill_after_ms, stall_after_ms. */
  private static HealthPolicy health(Fields f) throws ConfigException {
    HealthPolicy d = HealthPolicy.DEFAULT;
    return new HealthPolicy(
        millis(f, "probe_timeout_ms", 1L, 600_000L, d.probeTimeout()),
        limit(f, "unhealthy_after", 1, 1000, d.unhealthyAfter()),
        millis(f, "kill_after_ms", 1L, 86_400_000L, d.killAfter()),
        millis(f, "stall_after_ms", 10L, 600_000L, d.stallAfter()));
  }

  /** The pool's outlier_ejection block; each key has its default (OutlierPolicy.DEFAULT). */
  private static OutlierPolicy outlierEjection(Fields pool) throws ConfigException {
    if (!pool.has("outlier_ejection")) {
      return OutlierPolicy.DEFAULT;
    }
    YamlNode n = pool.get("outlier_ejection").orElseThrow();
    Fields f = n.fields("a mapping with enabled, consecutive_failures, failure_rate_percent, ...", OUTLIER_EJECTION);
    OutlierPolicy d = OutlierPolicy.DEFAULT;
    boolean enabled = !f.has("enabled") || f.get("enabled").orElseThrow().bool();
    int consecutive = limit(f, "consecutive_failures", 1, 1_000_000, d.consecutiveFailures());
    int rate = limit(f, "failure_rate_percent", 1, 100, d.failureRatePercent());
    int minCalls = limit(f, "min_calls", 1, 1_000_000, d.minCalls());
    Duration window = millis(f, "window_ms", 10L, 3_600_000L, d.window());
    Duration base = millis(f, "base_ejection_ms", 1L, 86_400_000L, d.baseEjection());
    Duration max = millis(f, "max_ejection_ms", 1L, 86_400_000L, d.maxEjection());
    if (max.compareTo(base) < 0) {
      YamlNode at = f.get("max_ejection_ms").or(() -> f.get("base_ejection_ms")).orElseThrow();
      throw at.expected("max_ejection_ms >= base_ejection_ms, here " + max.toMillis() + " < " + base.toMillis());
    }
    int probation = limit(f, "probation_calls", 1, 1_000_000, d.probationCalls());
    return new OutlierPolicy(enabled, consecutive, rate, minCalls, window, base, max, probation);
  }

  private static PoolSpec.Affinity affinity(Fields f) throws ConfigException {
    if (!f.has("affinity")) {
      return PoolSpec.Affinity.NONE;
    }
    YamlNode a = f.get("affinity").orElseThrow();
    return switch (a.text("none or session")) {
      case "none" -> PoolSpec.Affinity.NONE;
      case "session" -> PoolSpec.Affinity.SESSION;
      default -> throw a.expected("none or session");
    };
  }

  private static String endpoint(YamlNode n) throws ConfigException {
    String s = n.text("host:port");
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw n.expected("host:port");
    }
    try {
      int port = Integer.parseInt(s.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw n.expected("host:port with a port from 1 to 65535");
      }
    } catch (NumberFormatException e) {
      throw n.expected("host:port with a port from 1 to 65535");
    }
    return s;
  }

  private static String cpuList(YamlNode n) throws ConfigException {
    String expected = "a cpu list like \"0-3\" or \"0,2,4-5\"";
    String s = n.text(expected);
    if (!CPU_LIST.matcher(s).matches()) {
      throw n.expected(expected);
    }
    for (String range : s.split(",")) {
      String[] ends = range.split("-");
      try {
        if (ends.length == 2 && Integer.parseInt(ends[0]) > Integer.parseInt(ends[1])) {
          throw n.expected(expected + ", each range low-high");
        }
        Integer.parseInt(ends[0]);
      } catch (NumberFormatException e) {
        throw n.expected(expected);
      }
    }
    return s;
  }

  // ---- pipelines ----

  private PipelineSpec pipeline(YamlNode n, Set<String> names) throws ConfigException {
    Fields f = n.fields("a mapping with name, inputs, outputs, steps and optionally fuse", PIPELINE);
    YamlNode nameNode = f.require("name", "the pipeline's name");
    String name = name(nameNode, "a pipeline name");
    if (!names.add(name)) {
      throw nameNode.expected("a name no other pipeline has");
    }
    List<TensorSpec> inputs = new ArrayList<>();
    Map<String, Tensor> defaults = new LinkedHashMap<>();
    Set<String> inputNames = new HashSet<>();
    String inputsExpected = "a list of {name, datatype, shape} (and optionally default)";
    for (YamlNode i : f.require("inputs", inputsExpected).list(inputsExpected)) {
      TensorSpec t = input(i);
      if (!inputNames.add(t.name())) {
        throw i.fail("input " + t.name() + " given twice (expected: unique input names)");
      }
      inputs.add(t);
      Optional<YamlNode> d = i.fields("", INPUT).get("default");
      if (d.isPresent()) {
        defaults.put(t.name(), InputDefaults.parse(d.get(), t));
      }
    }
    List<PipelineSpec.Output> outputs = new ArrayList<>();
    Set<String> outputNames = new HashSet<>();
    List<YamlNode> outNodes = f.require("outputs", "a list of {name, from}").list("a list of {name, from}");
    if (outNodes.isEmpty()) {
      throw f.require("outputs", "").fail("empty (expected: at least one output)");
    }
    for (YamlNode o : outNodes) {
      Fields of = o.fields("a mapping with name and from", OUTPUT);
      YamlNode on = of.require("name", "the output's name");
      String outName = on.text("the output's name");
      if (!outputNames.add(outName)) {
        throw on.expected("a name no other output of this pipeline has");
      }
      outputs.add(new PipelineSpec.Output(outName, ref(of.require("from", "<step>.<output>"))));
    }
    List<StepSpec> steps = new ArrayList<>();
    Set<String> stepNames = new HashSet<>();
    List<YamlNode> stepNodes = f.require("steps", "a list of steps").list("a list of steps");
    if (stepNodes.isEmpty()) {
      throw f.require("steps", "").fail("empty (expected: at least one step)");
    }
    for (YamlNode s : stepNodes) {
      steps.add(step(s, stepNames));
    }
    boolean fuse = true;
    if (f.has("fuse")) {
      YamlNode fn = f.get("fuse").orElseThrow();
      String v = fn.text("true or false");
      if (!v.equals("true") && !v.equals("false")) {
        throw fn.expected("true or false");
      }
      fuse = v.equals("true");
    }
    if (f.has("priority")) {
      YamlNode pn = f.get("priority").orElseThrow();
      pipelinePriorities.put(name, Priority.parse(pn.text(Priority.expected()))
          .orElseThrow(() -> pn.expected(Priority.expected())));
    }
    return new PipelineSpec(name, inputs, outputs, steps, fuse, defaults);
  }

  private static TensorSpec input(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with name, datatype, shape and optionally default", INPUT);
    String name = f.require("name", "the tensor's name").text("the tensor's name");
    YamlNode dt = f.require("datatype", "one of " + DataType.names());
    DataType type = DataType.fromName(dt.text("one of " + DataType.names()))
        .orElseThrow(() -> dt.expected("one of " + DataType.names()));
    List<Long> shape = new ArrayList<>();
    for (YamlNode d : f.require("shape", "a list of dimensions, -1 for any size").list("a list of dimensions, -1 for any size")) {
      shape.add(d.integer(-1L, Integer.MAX_VALUE));
    }
    return new TensorSpec(name, type, shape);
  }

  private static TensorRef ref(YamlNode n) throws ConfigException {
    String expected = "input.<name>, session.<key> or <step>.<output>";
    String s = n.text(expected);
    try {
      return TensorRef.parse(s);
    } catch (IllegalArgumentException e) {
      throw n.expected(expected);
    }
  }

  private StepSpec step(YamlNode n, Set<String> names) throws ConfigException {
    Fields f = n.fields("a mapping with name and one of model, loop, merge, switch", STEP);
    YamlNode nameNode = f.require("name", "the step's name");
    String name = nameNode.text("a step name");
    if (!STEP_NAME.matcher(name).matches() || name.equals(TensorRef.INPUT) || name.equals(TensorRef.SESSION)) {
      throw nameNode.expected("a step name of letters, digits, '_' or '-', other than \"input\" and \"session\"");
    }
    if (!names.add(name)) {
      throw nameNode.expected("a name no other step of this pipeline has");
    }
    List<String> kinds = KINDS.stream().filter(f::has).toList();
    if (kinds.size() != 1) {
      throw n.fail((kinds.isEmpty() ? "no " : "both " + String.join(" and ", kinds) + ": more than one ")
          + "kind of step (expected: exactly one of model, loop, merge, switch)");
    }
    String kind = kinds.get(0);
    if (!kind.equals("model") && f.has("fallback")) {
      throw f.get("fallback").orElseThrow().fail("given for a " + kind + " step (expected: only with model)");
    }
    if (!kind.equals("model") && f.has("inputs")) {
      throw f.get("inputs").orElseThrow().fail("given for a " + kind + " step (expected: only with model"
          + (kind.equals("loop") ? "; a loop takes loop.inputs)" : ")"));
    }
    Duration timeout = StepSpec.DEFAULT_TIMEOUT;
    if (f.has("timeout_ms")) {
      timeout = Duration.ofMillis(f.get("timeout_ms").orElseThrow().integer(1L, 86_400_000L));
    }
    int retries = f.has("retries") ? f.get("retries").orElseThrow().integer(0, 10) : StepSpec.DEFAULT_RETRIES;
    StepSpec.Kind body = switch (kind) {
      case "model" -> new StepSpec.ModelCall(model(f.get("model").orElseThrow()),
          bindings(f.require("inputs", "a mapping of model input name to input.<name> or <step>.<output>")));
      case "loop" -> loop(f.get("loop").orElseThrow());
      case "merge" -> merge(f.get("merge").orElseThrow());
      default -> switchStep(f.get("switch").orElseThrow());
    };
    return new StepSpec(name, timeout, retries, body,
        f.has("fallback") ? Optional.of(fallback(f.get("fallback").orElseThrow())) : Optional.empty());
  }

  /** {@code fallback: {model: m}} (fed the step's inputs) or {@code {model: m, inputs: {...}}}. */
  private StepSpec.Fallback fallback(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with model and, optionally, inputs", STEP_FALLBACK);
    String model = model(f.require("model", "the model called when the step's own cannot serve"));
    return new StepSpec.Fallback(model, f.has("inputs") ? bindings(f.get("inputs").orElseThrow()) : List.of());
  }

  private String model(YamlNode n) throws ConfigException {
    String expected = "a model of some pool: " + String.join(", ", poolOfModel.keySet());
    String model = n.text(expected);
    if (!poolOfModel.containsKey(model)) {
      throw n.expected(expected);
    }
    return model;
  }

  private static List<StepSpec.Binding> bindings(YamlNode n) throws ConfigException {
    List<StepSpec.Binding> out = new ArrayList<>();
    for (Map.Entry<String, YamlNode> e
        : n.entries("a mapping of model input name to input.<name> or <step>.<output>").entrySet()) {
      out.add(new StepSpec.Binding(e.getKey(), ref(e.getValue())));
    }
    return out;
  }

  private StepSpec.Loop loop(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with model, inputs, feedback, collect, until, max_iterations", LOOP);
    String model = model(f.require("model", "the model to call each iteration"));
    List<StepSpec.Binding> inputs = f.has("inputs") ? bindings(f.get("inputs").orElseThrow()) : List.of();
    Fields fb = f.require("feedback", "{input, output, window, start}")
        .fields("a mapping with input, output, window, start", FEEDBACK);
    StepSpec.Feedback feedback = new StepSpec.Feedback(
        fb.require("input", "the model input that gets the window").text("a model input name"),
        fb.require("output", "the model output fed back").text("a model output name"),
        fb.require("window", "how many past values the input holds").integer(1, 1024),
        fb.has("start") ? fb.get("start").orElseThrow().integer(Long.MIN_VALUE, Long.MAX_VALUE) : 0);
    List<String> collect = new ArrayList<>();
    YamlNode collectNode = f.require("collect", "a list of model outputs to collect");
    for (YamlNode c : collectNode.list("a list of model outputs to collect")) {
      collect.add(c.text("a model output name"));
    }
    if (collect.isEmpty()) {
      throw collectNode.fail("empty (expected: at least one model output)");
    }
    Optional<StepSpec.Until> until = Optional.empty();
    if (f.has("until")) {
      Fields u = f.get("until").orElseThrow().fields("a mapping with output and equals", UNTIL);
      until = Optional.of(new StepSpec.Until(u.require("output", "a model output").text("a model output name"),
          u.require("equals", "the value that stops the loop").text("a number or text")));
    }
    int max = f.require("max_iterations", "an upper bound on iterations, 1 to 100000").integer(1, 100_000);
    Optional<String> iteration = f.has("iteration")
        ? Optional.of(f.get("iteration").orElseThrow().text("the model input that gets the iteration number"))
        : Optional.empty();
    return new StepSpec.Loop(model, inputs, feedback, collect, until, max, iteration);
  }

  private static StepSpec.Merge merge(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with concat or first_of, axis, output", MERGE);
    if (f.has("concat") == f.has("first_of")) {
      throw n.fail((f.has("concat") ? "both concat and first_of" : "neither concat nor first_of")
          + " (expected: exactly one of them)");
    }
    StepSpec.Merge.Mode mode = f.has("concat") ? StepSpec.Merge.Mode.CONCAT : StepSpec.Merge.Mode.FIRST_OF;
    YamlNode list = f.get(mode == StepSpec.Merge.Mode.CONCAT ? "concat" : "first_of").orElseThrow();
    List<TensorRef> from = new ArrayList<>();
    for (YamlNode r : list.list("a list of <step>.<output>")) {
      from.add(ref(r));
    }
    if (from.size() < 2) {
      throw list.fail(from.size() + " reference(s) (expected: at least 2)");
    }
    int axis = 0;
    if (f.has("axis")) {
      if (mode == StepSpec.Merge.Mode.FIRST_OF) {
        throw f.get("axis").orElseThrow().fail("given for first_of (expected: only with concat)");
      }
      axis = f.get("axis").orElseThrow().integer(0, 32);
    }
    String output;
    if (f.has("output")) {
      output = f.get("output").orElseThrow().text("the merged tensor's name");
    } else {
      // Merging a.items and b.items yields items, unless the names differ.
      Set<String> tensors = new HashSet<>();
      from.forEach(r -> tensors.add(r.tensor()));
      if (tensors.size() != 1) {
        throw f.absent("output").fail("missing (expected: the merged tensor's name, since the merged tensors' names"
            + " differ)");
      }
      output = from.get(0).tensor();
    }
    return new StepSpec.Merge(mode, from, axis, output);
  }

  private static StepSpec.Switch switchStep(YamlNode n) throws ConfigException {
    Fields f = n.fields("a mapping with on, cases, default", SWITCH);
    TensorRef on = ref(f.require("on", "input.<name> or <step>.<output> of one element"));
    List<StepSpec.Case> cases = new ArrayList<>();
    YamlNode casesNode = f.require("cases", "a list of {equals, steps}");
    for (YamlNode c : casesNode.list("a list of {equals, steps}")) {
      Fields cf = c.fields("a mapping with equals and steps", CASE);
      String value = cf.require("equals", "the value that selects this branch").text("a number or text");
      cases.add(new StepSpec.Case(value, stepList(cf.require("steps", "a list of step names"))));
    }
    if (cases.isEmpty()) {
      throw casesNode.fail("empty (expected: at least one case)");
    }
    List<String> defaults = f.has("default") ? stepList(f.get("default").orElseThrow()) : List.of();
    return new StepSpec.Switch(on, cases, defaults);
  }

  private static List<String> stepList(YamlNode n) throws ConfigException {
    List<String> out = new ArrayList<>();
    for (YamlNode s : n.list("a list of step names")) {
      out.add(s.text("a step name"));
    }
    return out;
  }
}
