package io.junction.workers.repository;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's contract, read from {@code <repo>/<model>/model.yaml} and validated once when read
 * (see docs/model-repository.md). Immutable; every check a request needs (names, datatypes,
 * shapes, batch size, value ranges) can be made against it without touching TensorFlow.
 *
 * <p>Public so that the orchestrator can read a repository's contracts too.
 *
 * @param name the model's name, equal to its folder's name
 * @param version the version folder to load, a positive integer
 * @param platform always {@value #PLATFORM_TENSORFLOW} for now
 * @param maxBatchSize the largest first dimension a request may have
 * @param inputs the serving signature's inputs, in declaration order
 * @param outputs the serving signature's outputs, in declaration order
 * @param constraints inclusive value ranges of integer inputs, by input name
 * @param labels what the model's class ids mean; empty when not given
 * @param versionDir the SavedModel folder, {@code <repo>/<model>/<version>}
 */
public record ModelConfig(
    String name,
    long version,
    String platform,
    int maxBatchSize,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    Map<String, ValueRange> constraints,
    List<String> labels,
    Path versionDir) {

  public static final String PLATFORM_TENSORFLOW = "tensorflow_savedmodel";
  public static final String FILE_NAME = "model.yaml";

  public ModelConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(versionDir, "versionDir");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    constraints = Map.copyOf(constraints);
    labels = List.copyOf(labels);
  }

  /** Reads and validates one {@code model.yaml}; the folder holding it must be named after the model. */
  public static ModelConfig read(Path modelYaml) {
    return ModelConfigParser.parse(modelYaml);
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
