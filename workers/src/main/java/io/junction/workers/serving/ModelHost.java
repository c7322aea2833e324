package io.junction.workers.serving;

import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.UnknownModelException;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.LoadedModel;
import io.junction.workers.runtime.ModelLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models one worker serves, and the one place their calls are admitted: it resolves the
 * model, checks the request against model.yaml on the caller's thread (a bad request never takes
 * a queue slot), and hands valid calls to the bounded {@link ModelCalls} executor, through the
 * model's {@link Batcher} when it batches. Every caller (the Open Inference Protocol service, and
 * anything in the process that runs models) goes through {@link #infer}, so all of them batch
 * together. Loading, unloading, draining and stats go through here too. Knows nothing of gRPC.
 */
public final class ModelHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelHost.class);
  /**
   * How often queued calls are checked for callers that have gone while anything is queued: a
   * dead call leaves its queue within about this long instead of when a thread reaches it.
   */
  static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final ModelRepository repository;
  private final ModelLoader loader;
  private final DeviceSelection device;
  private final CpuAffinity cpus;
  private final LongSupplier nanoClock;
  private final ModelCalls calls;
  private final int queue;
  private final boolean batching;
  private final BatchTimer timer;
  private final QueueSweep sweep;
  private final FaultSwitch faults;
  private final Map<String, ModelSlot> loaded = new ConcurrentHashMap<>();
  /** Slots whose engine is not freed yet: loaded ones, and unloaded ones that calls still hold. */
  private final Set<ModelSlot> live = ConcurrentHashMap.newKeySet();
  private final AtomicReference<HostState> state = new AtomicReference<>(HostState.STARTING);
  private final Object loadLock = new Object();

  /**
   * @param threads model-call threads: the CPUs the process may use
   * @param queue calls that may wait for a thread; also the queue of each batching model
   * @param nanoClock time source for the engine-time counters and the batchers' queue delays
   * @param batching whether models whose model.yaml has a batching block batch; false turns
   *     batching off for the whole process
   * @param timer fires the batchers' queue delays; the host closes it
   */
  public ModelHost(ModelRepository repository, ModelLoader loader, DeviceSelection device, CpuAffinity cpus,
      int threads, int queue, LongSupplier nanoClock, boolean batching, BatchTimer timer) {
    this(repository, loader, device, cpus, threads, queue, nanoClock, batching, timer, FaultSwitch.refused());
  }

  /**
   * As the constructor above, with the {@link FaultSwitch} that tests may turn on to fail every
   * user inference (only a switch built with fault injection allowed can be).
   */
  public ModelHost(ModelRepository repository, ModelLoader loader, DeviceSelection device, CpuAffinity cpus,
      int threads, int queue, LongSupplier nanoClock, boolean batching, BatchTimer timer, FaultSwitch faults) {
    this.repository = repository;
    this.loader = loader;
    this.device = device;
    this.cpus = cpus;
    this.nanoClock = nanoClock;
    this.calls = new ModelCalls(threads, queue);
    this.queue = queue;
    this.batching = batching;
    this.timer = timer;
    this.sweep = new QueueSweep(timer, SWEEP_NANOS, this::sweepQueues);
    this.faults = faults;
  }

  /** The test-only switch that fails every user inference; see {@link FaultSwitch}. */
  public FaultSwitch faults() {
    return faults;
  }

  // ---- lifecycle ----

  /** Marks the host ready: called once the models it starts with are loaded. */
  public void startServing() {
    transition(HostState.STARTING, HostState.SERVING);
  }

  public boolean isReady() {
    return state.get() == HostState.SERVING;
  }

  public boolean isDraining() {
    return state.get() == HostState.DRAINING;
  }

  /**
   * Stops taking calls (they get {@link WorkerDrainingException}) and waits for those in flight,
   * up to {@code grace}. Completes with the number still in flight when the grace ran out: 0
   * when all finished. Never blocks the caller.
   */
  public CompletableFuture<Integer> drain(Duration grace) {
    HostState s = state.get();
    while (s.canBecome(HostState.DRAINING) && !state.compareAndSet(s, HostState.DRAINING)) {
      s = state.get();
    }
    calls.stopAccepting();
    log.info("Draining: {} calls in flight, grace {} ms", calls.inFlight(), grace.toMillis());
    return calls.whenIdle()
        .thenApply(v -> 0)
        .completeOnTimeout(-1, grace.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(v -> v == 0 ? 0 : calls.inFlight());
  }

  /** Stops the executor (queued calls and those waiting for a batch are refused) and unloads every model. */
  @Override
  public void close() {
    HostState s = state.getAndSet(HostState.CLOSED);
    if (s == HostState.CLOSED) {
      return;
    }
    calls.shutdown();
    for (ModelSlot slot : live) {
      slot.batcher.ifPresent(Batcher::refuseAll);
    }
    timer.close();
    try {
      if (!calls.awaitTermination(5_000)) {
        log.warn("Model calls still running after 5 s; unloading anyway when they finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (loadLock) {
      for (String name : new ArrayList<>(loaded.keySet())) {
        ModelSlot slot = loaded.remove(name);
        if (slot != null) {
          release(slot);
        }
      }
    }
  }

  // ---- models ----

  /** Names of the models in the repository, loaded or not. */
  public List<String> repositoryModels() {
    return repository.modelNames();
  }

  /** Names of the loaded models, sorted. */
  public List<String> loadedModels() {
    return loaded.keySet().stream().sorted().toList();
  }

  /**
   * Loads a model of the repository and runs its warm-up samples (model.yaml {@code warmup})
   * through {@link #infer}, the path user requests take, before the model counts as loaded: until
   * then {@link #isModelReady} is false and user calls get {@link ModelNotReadyException}. A model
   * already loaded is left as it is. Blocks while the engine loads and warms up: call it off any
   * event loop.
   *
   * @return the load time in milliseconds, warm-up excluded (of the earlier load, for a loaded model)
   * @throws UnknownModelException when the repository lacks it
   * @throws io.junction.workers.repository.ModelConfigException when its model.yaml is wrong, or a
   *     warm-up sample does not fit the contract or fails in the engine (the message names the sample)
   * @throws io.junction.workers.runtime.ModelLoadException when the engine cannot load it
   * @throws WorkerDrainingException when draining or closed
   */
  public long load(String model) {
    synchronized (loadLock) {
      HostState s = state.get();
      if (s == HostState.DRAINING || s == HostState.CLOSED) {
        throw new WorkerDrainingException("load " + model);
      }
      ModelSlot existing = loaded.get(model);
      if (existing != null) {
        return existing.loadMillis;
      }
      ModelConfig config = repository.resolve(model);
      // A sample that does not fit the contract fails before the engine spends time loading.
      Warmup warmup = new Warmup(config, nanoClock);
      warmup.check();
      long start = nanoClock.getAsLong();
      LoadedModel m = loader.load(config);
      long millis = TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - start);
      Optional<Function<Batcher.Engine, Batcher>> batcher = config.batching().filter(b -> batching)
          .map(b -> engine -> new Batcher(config, b, queue, engine, calls::execute, timer, nanoClock));
      ModelSlot slot = new ModelSlot(m, millis, nanoClock, batcher);
      live.add(slot);
      loaded.put(model, slot);
      try {
        warmup.run(request -> warmUp(request, CallScope.waiting()));
      } catch (RuntimeException e) {
        loaded.remove(model, slot);
        release(slot);
        throw e;
      }
      slot.warm = true;
      log.info("Loaded {} v{} in {} ms{}{}", model, config.version(), millis,
          slot.batcher.isPresent() ? ", batching" : "", warmup.summary());
      return millis;
    }
  }

  /**
   * Unloads a model: new calls get {@link ModelNotReadyException}; calls already admitted finish
   * before the engine frees it.
   *
   * @throws UnknownModelException when it is not loaded
   */
  public void unload(String model) {
    synchronized (loadLock) {
      ModelSlot slot = loaded.remove(model);
      if (slot == null) {
        throw new UnknownModelException(model, "loaded on this worker", loadedModels());
      }
      release(slot);
      log.info("Unloaded {}", model);
    }
  }

  /** True when the model is loaded (and, when given, under that version). */
  public boolean isModelReady(String model, String version) {
    ModelSlot slot = loaded.get(model);
    return slot != null && slot.warm && state.get() != HostState.CLOSED
        && (version.isEmpty() || version.equals(slot.model.config().versionString()));
  }

  /**
   * The contract of a loaded model, for metadata.
   *
   * @throws UnknownModelException when no such model (or version) is loaded
   * @throws ModelNotReadyException when it is in the repository but not loaded
   */
  public ModelConfig config(String model, String version) {
    return slot(model, version).model.config();
  }

  /**
   * The most rows one call of a loaded model may carry when its requests are stacked into
   * batches here: its max_batch_size when it batches, else 0 (it runs each request alone, so
   * nothing says its rows are independent of one another).
   */
  public int batchRows(String model) {
    ModelSlot slot = loaded.get(model);
    return slot == null || slot.batcher.isEmpty() ? 0 : slot.model.config().maxBatchSize();
  }

  // ---- inference ----

  /**
   * Checks the request against the model's contract, then queues it. Every check that a
   * caller's mistake can fail happens here, synchronously, before anything is queued.
   *
   * @throws UnknownModelException unknown model or version
   * @throws ModelNotReadyException the model is in the repository but not loaded
   * @throws InvalidInferRequestException the request does not match model.yaml
   * @throws WorkerBusyException the queue is full
   * @throws WorkerDrainingException draining or closed
   */
  public CompletableFuture<InferResult> infer(InferRequest request, CallScope scope) {
    return infer(request, scope, false);
  }

  /**
   * {@link #infer} for a warm-up call: the same path, counted in the model's warm-up counters
   * rather than its user counters, and admitted while the model warms up (before it counts as
   * loaded). The load's own warm-up and the worker's warm-up over its server come here.
   */
  public CompletableFuture<InferResult> warmUp(InferRequest request, CallScope scope) {
    return infer(request, scope, true);
  }

  /** A user's call or a warm-up call: only the counters differ, and whether a model still warming is reachable. */
  private CompletableFuture<InferResult> infer(InferRequest request, CallScope scope, boolean warmup) {
    HostState s = state.get();
    if (s == HostState.DRAINING || s == HostState.CLOSED) {
      throw new WorkerDrainingException("model " + request.model());
    }
    if (!warmup) {
      faults.check("model " + request.model());
    }
    ModelSlot slot = slot(request.model(), request.version());
    if (!slot.warm && !warmup) {
      throw new ModelNotReadyException(request.model());
    }
    ModelSlot.Counters counters = warmup ? slot.warmup : slot.served;
    ModelConfig config = slot.model.config();
    RequestValidator.Checked checked = RequestValidator.check(config, request.inputs(), request.outputs());
    if (!slot.retain()) {
      throw new ModelNotReadyException(request.model());
    }
    Consumer<ModelCalls.Outcome> done = outcome -> {
      counters.record(outcome);
      release(slot);
    };
    CompletableFuture<InferResult> result;
    if (slot.batcher.isPresent()) {
      ModelCalls.Permit permit = calls.admit(done);
      result = slot.batcher.get().submit(checked.inputs(), checked.outputs(), checked.batch(), scope, permit)
          .thenApply(out -> new InferResult(config.name(), config.versionString(), out));
    } else {
      result = calls.submit(scope, () -> new InferResult(config.name(), config.versionString(),
          slot.run(checked.inputs(), checked.outputs())), done);
    }
    sweep.poke();
    return result;
  }

  /** One sweep of every queue (the threads' and each batcher's); returns the calls still queued. */
  private int sweepQueues() {
    int left = calls.sweep();
    for (ModelSlot slot : live) {
      left += slot.batcher.map(Batcher::sweep).orElse(0);
    }
    return left;
  }

  private void release(ModelSlot slot) {
    if (slot.release()) {
      live.remove(slot);
    }
  }

  // ---- stats ----

  public WorkerStats stats() {
    List<WorkerStats.Model> models = new ArrayList<>();
    for (String name : loadedModels()) {
      ModelSlot slot = loaded.get(name);
      if (slot != null) {
        ModelSlot.Counters served = slot.served;
        models.add(new WorkerStats.Model(name, slot.model.config().versionString(), slot.warm, served.calls.sum(),
            served.errors.sum(), served.rows.sum(), served.micros.sum(), slot.loadMillis,
            slot.warmup.calls.sum(), slot.warmup.micros.sum(), slot.batcher.map(Batcher::stats)));
      }
    }
    return new WorkerStats(ProcessHandle.current().pid(), device.device(), device.requested().toString(),
        device.fellBack(), isReady(), isDraining(), cpus.list(), models, calls.inFlight(), calls.threads(),
        loader.intraOpThreads(), loader.interOpThreads());
  }

  /** Calls queued, waiting for a thread or for a batch. */
  public int queued() {
    int n = calls.queued();
    for (ModelSlot slot : live) {
      n += slot.batcher.map(Batcher::queued).orElse(0);
    }
    return n;
  }

  private ModelSlot slot(String model, String version) {
    ModelSlot slot = loaded.get(model);
    if (slot == null) {
      if (repository.contains(model)) {
        throw new ModelNotReadyException(model);
      }
      throw new UnknownModelException(model, "loaded on this worker", loadedModels());
    }
    String have = slot.model.config().versionString();
    if (!version.isEmpty() && !version.equals(have)) {
      throw new UnknownModelException(model, "model_version: \"" + version + "\" (expected: \"\" or \"" + have
          + "\", the version of model " + model + " loaded on this worker)");
    }
    return slot;
  }

  private void transition(HostState from, HostState to) {
    if (!from.canBecome(to) || !state.compareAndSet(from, to)) {
      throw new IllegalStateException("host state: " + state.get() + " (expected: " + from + " to become " + to + ")");
    }
  }
}
