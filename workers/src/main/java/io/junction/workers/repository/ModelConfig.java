package io.junction.workers.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's contract, read from {@code <repo>/<model>/model.yaml} and validated once when read
 * (see docs/model-repository.md). Immutable; every check a request needs (names, datatypes,
 * shapes, batch size, value ranges) can be made against it without touching TensorFlow.
 *
 * <p>Public so that the orchestrator can read a repository's contracts too, and so that the
 * model kit writes the contracts it builds with {@link #write()}: model.yaml has this one owner,
 * its reader and its writer side by side.
 *
 * @param name the model's name, equal to its folder's name
 * @param version the version folder to load, a positive integer
 * @param platform always {@value #PLATFORM_TENSORFLOW} for now
 * @param maxBatchSize the largest first dimension a request may have, and the largest batch the
 *     worker forms when it batches
 * @param batching how the worker batches concurrent requests; empty when the model does not batch
 * @param inputs the serving signature's inputs, in declaration order
 * @param outputs the serving signature's outputs, in declaration order
 * @param constraints inclusive value ranges of integer inputs, by input name, in the order given
 * @param labels what the model's class ids mean; empty when not given
 * @param versionDir the SavedModel folder, {@code <repo>/<model>/<version>}
 * @param warmup the requests the worker runs before the model reports ready, in the order given;
 *     empty when none are given
 */
public record ModelConfig(
    String name,
    long version,
    String platform,
    int maxBatchSize,
    Optional<BatchingConfig> batching,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    Map<String, ValueRange> constraints,
    List<String> labels,
    Path versionDir,
    List<WarmupSample> warmup) {

  public static final String PLATFORM_TENSORFLOW = "tensorflow_savedmodel";
  public static final String FILE_NAME = "model.yaml";

  public ModelConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(batching, "batching");
    Objects.requireNonNull(versionDir, "versionDir");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    // Insertion order is kept (not Map.copyOf) so that toYaml() writes the same bytes every run.
    Map<String, ValueRange> ranges = new LinkedHashMap<>();
    constraints.forEach((input, range) ->
        ranges.put(Objects.requireNonNull(input, "constraint input"), Objects.requireNonNull(range, input)));
    constraints = Collections.unmodifiableMap(ranges);
    labels = List.copyOf(labels);
    warmup = List.copyOf(warmup);
  }

  /** A contract that does not batch and has no warm-up samples. */
  public ModelConfig(String name, long version, String platform, int maxBatchSize, List<TensorSpec> inputs,
      List<TensorSpec> outputs, Map<String, ValueRange> constraints, List<String> labels, Path versionDir) {
    this(name, version, platform, maxBatchSize, Optional.empty(), inputs, outputs, constraints, labels, versionDir,
        List.of());
  }

  /** A contract without warm-up samples. */
  public ModelConfig(String name, long version, String platform, int maxBatchSize, Optional<BatchingConfig> batching,
      List<TensorSpec> inputs, List<TensorSpec> outputs, Map<String, ValueRange> constraints, List<String> labels,
      Path versionDir) {
    this(name, version, platform, maxBatchSize, batching, inputs, outputs, constraints, labels, versionDir, List.of());
  }

  /** A contract that does not batch. */
  public ModelConfig(String name, long version, String platform, int maxBatchSize, List<TensorSpec> inputs,
      List<TensorSpec> outputs, Map<String, ValueRange> constraints, List<String> labels, Path versionDir,
      List<WarmupSample> warmup) {
    this(name, version, platform, maxBatchSize, Optional.empty(), inputs, outputs, constraints, labels, versionDir,
        warmup);
  }

  /** The same contract with these warm-up samples instead of its own. */
  public ModelConfig withWarmup(List<WarmupSample> samples) {
    return new ModelConfig(name, version, platform, maxBatchSize, batching, inputs, outputs, constraints, labels,
        versionDir, samples);
  }

  /** Reads and validates one {@code model.yaml}; the folder holding it must be named after the model. */
  public static ModelConfig read(Path modelYaml) {
    return ModelConfigParser.parse(modelYaml);
  }

  /** Where this contract's file lives: {@code model.yaml} beside its version folder. */
  public Path modelYaml() {
    return versionDir.getParent().resolve(FILE_NAME);
  }

  /**
   * The model.yaml text: the keys in the order of docs/model-repository.md, tensors in
   * declaration order, constraints in the order given, {@code batching} only when present,
   * {@code constraints}, {@code labels}, preferred batch sizes and {@code warmup} only when not
   * empty. The same value always gives the same text.
   */
  public String toYaml() {
    StringBuilder y = new StringBuilder();
    y.append("name: ").append(RepositoryYaml.scalar(name)).append('\n');
    y.append("version: ").append(version).append('\n');
    y.append("platform: ").append(RepositoryYaml.scalar(platform)).append('\n');
    y.append("max_batch_size: ").append(maxBatchSize).append('\n');
    batching.ifPresent(b -> {
      y.append("batching:\n");
      y.append("  max_queue_delay_us: ").append(b.maxQueueDelayMicros()).append('\n');
      if (!b.preferredBatchSizes().isEmpty()) {
        y.append("  preferred_batch_sizes: ").append(RepositoryYaml.flowList(b.preferredBatchSizes())).append('\n');
      }
    });
    appendTensors(y, "inputs", inputs);
    appendTensors(y, "outputs", outputs);
    if (!constraints.isEmpty()) {
      y.append("constraints:\n");
      constraints.forEach((input, range) -> y.append("  ").append(RepositoryYaml.scalar(input))
          .append(": {min: ").append(range.min()).append(", max: ").append(range.max()).append("}\n"));
    }
    if (!labels.isEmpty()) {
      y.append("labels: ").append(RepositoryYaml.flowList(labels)).append('\n');
    }
    WarmupYaml.append(y, warmup);
    return y.toString();
  }

  private static void appendTensors(StringBuilder y, String key, List<TensorSpec> tensors) {
    y.append(key).append(":\n");
    for (TensorSpec t : tensors) {
      y.append("  - name: ").append(RepositoryYaml.scalar(t.name())).append('\n');
      y.append("    datatype: ").append(t.datatype().name()).append('\n');
      y.append("    shape: ").append(RepositoryYaml.flowList(t.shape())).append('\n');
    }
  }

  /**
   * Writes {@link #toYaml()} to {@link #modelYaml()}, creating the model's folder if needed, and
   * returns the file. For every contract that {@link #read} accepts and whose {@code versionDir} is
   * absolute and normalised (as {@link ModelRepository#versionDir} gives it), {@code read(write())}
   * equals this value; a contract read() would refuse is written all the same, and read() then says
   * what is wrong with it.
   *
   * @throws IllegalArgumentException when {@code versionDir} is not {@code <repo>/<name>/<version>},
   *     the only place read() would look for it
   * @throws UncheckedIOException when the file cannot be written
   */
  public Path write() {
    Path modelDir = versionDir.getParent();
    if (modelDir == null || !String.valueOf(versionDir.getFileName()).equals(versionString())
        || !String.valueOf(modelDir.getFileName()).equals(name)) {
      throw new IllegalArgumentException("versionDir: " + versionDir
          + " (expected: <repository>/" + name + "/" + version + ")");
    }
    Path file = modelYaml();
    try {
      Files.createDirectories(modelDir);
      Files.writeString(file, toYaml(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file, e);
    }
    return file;
  }

  public Optional<TensorSpec> input(String inputName) {
    return inputs.stream().filter(t -> t.name().equals(inputName)).findFirst();
  }

  public Optional<TensorSpec> output(String outputName) {
    return outputs.stream().filter(t -> t.name().equals(outputName)).findFirst();
  }

  public List<String> inputNames() {
    return inputs.stream().map(TensorSpec::name).toList();
  }

  public List<String> outputNames() {
    return outputs.stream().map(TensorSpec::name).toList();
  }

  public String versionString() {
    return Long.toString(version);
  }
}
