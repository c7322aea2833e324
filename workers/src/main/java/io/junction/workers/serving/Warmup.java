package io.junction.workers.serving;

import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelConfigException;
import io.junction.workers.repository.WarmupSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The warm-up of one model: its model.yaml samples, checked against the contract as any request
 * is, then each run a few times through the host's call path. A sample that does not fit, fails
 * or does not answer in time is a fault of the repository: a {@link ModelConfigException} naming
 * the file, the sample and the problem, so that the worker refuses to start (exit 78) rather
 * than report a model ready that cannot answer.
 *
 * <p>The first call of a sample pays for what TensorFlow and DJL set up lazily (the session's
 * kernels for these shapes, a predictor); the calls after it settle quickly. A sample is run
 * until one call is no slower than the one before it, at most {@link #MAX_RUNS} times.
 */
final class Warmup {
  /** Most calls per sample. */
  static final int MAX_RUNS = 5;
  /** A warm-up call that takes longer than this is a failure, not a slow start. */
  private static final long CALL_TIMEOUT_SECONDS = 60;

  private final ModelConfig config;
  private final LongSupplier nanoClock;
  private final List<Long> callMicros = new ArrayList<>();
  private long totalNanos;

  Warmup(ModelConfig config, LongSupplier nanoClock) {
    this.config = config;
    this.nanoClock = nanoClock;
  }

  /** Checks every sample against the model's contract, as a request is checked. */
  void check() {
    List<WarmupSample> samples = config.warmup();
    for (int i = 0; i < samples.size(); i++) {
      try {
        RequestValidator.check(config, samples.get(i).inputs(), List.of());
      } catch (InvalidInferRequestException e) {
        throw failure(i, e.getMessage(), e);
      }
    }
  }

  /**
   * Runs every sample through {@code infer} (the host's own call path, user counters untouched),
   * in order, each until its call time stops falling.
   */
  void run(Function<InferRequest, CompletableFuture<InferResult>> infer) {
    long start = nanoClock.getAsLong();
    List<WarmupSample> samples = config.warmup();
    for (int i = 0; i < samples.size(); i++) {
      InferRequest request = new InferRequest(config.name(), "", samples.get(i).inputs(), List.of());
      long previous = Long.MAX_VALUE;
      for (int run = 0; run < MAX_RUNS; run++) {
        long t0 = nanoClock.getAsLong();
        call(i, infer, request);
        long micros = TimeUnit.NANOSECONDS.toMicros(nanoClock.getAsLong() - t0);
        callMicros.add(micros);
        if (micros >= previous) {
          break;
        }
        previous = micros;
      }
    }
    totalNanos = nanoClock.getAsLong() - start;
  }

  private void call(int sample, Function<InferRequest, CompletableFuture<InferResult>> infer, InferRequest request) {
    try {
      infer.apply(request).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw failure(sample, "the model failed: " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw failure(sample, "no answer in " + CALL_TIMEOUT_SECONDS + " s (expected: an answer)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure(sample, "interrupted", e);
    } catch (RuntimeException e) {
      throw failure(sample, e.getMessage(), e);
    }
  }

  /** For the load's log line: what the warm-up ran and what it took; empty without samples. */
  String summary() {
    if (config.warmup().isEmpty()) {
      return ", no warm-up samples";
    }
    return String.format(Locale.ROOT, ", warmed up in %.1f ms (%d samples, %d calls; first call %.2f ms, last %.2f ms)",
        totalNanos / 1e6, config.warmup().size(), callMicros.size(),
        callMicros.get(0) / 1e3, callMicros.get(callMicros.size() - 1) / 1e3);
  }

  private ModelConfigException failure(int sample, String problem, Throwable cause) {
    return new ModelConfigException(config.modelYaml(), "warmup[" + sample + "] (sample \""
        + config.warmup().get(sample).name() + "\" of model " + config.name() + "): " + problem, cause);
  }
}
