package io.junction.models.kit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What model.yaml says about one exported model (docs/model-repository.md). The worker checks every
 * request against it before TensorFlow sees the request, so it must describe the exported
 * signature exactly; {@code io.junction.models.tf.GraphModel} derives it from the graph it exports.
 */
public record ModelContract(
    String name,
    int version,
    int maxBatchSize,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    Map<String, ValueRange> constraints,
    List<String> labels) {

  public static final String PLATFORM = "tensorflow_savedmodel";

  public ModelContract {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    constraints = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(constraints));
    labels = List.copyOf(labels);
    for (String key : constraints.keySet()) {
      if (inputs.stream().noneMatch(i -> i.name().equals(key))) {
        throw new IllegalArgumentException(name + ".constraints." + key + ": not an input");
      }
    }
  }

  /**
   * The model.yaml text, keys in the order of the format description. Written by hand rather than
   * by a YAML dumper so that shapes and ranges stay in the compact flow style the doc shows.
   */
  public String toYaml() {
    StringBuilder y = new StringBuilder();
    y.append("name: ").append(name).append('\n');
    y.append("version: ").append(version).append('\n');
    y.append("platform: ").append(PLATFORM).append('\n');
    y.append("max_batch_size: ").append(maxBatchSize).append('\n');
    appendTensors(y, "inputs", inputs);
    appendTensors(y, "outputs", outputs);
    if (!constraints.isEmpty()) {
      y.append("constraints:\n");
      constraints.forEach((input, range) -> y.append("  ").append(input)
          .append(": {min: ").append(range.min()).append(", max: ").append(range.max()).append("}\n"));
    }
    if (!labels.isEmpty()) {
      y.append("labels: [").append(labels.stream().map(Yaml::scalar).collect(Collectors.joining(", ")))
          .append("]\n");
    }
    return y.toString();
  }

  private static void appendTensors(StringBuilder y, String key, List<TensorSpec> tensors) {
    y.append(key).append(":\n");
    for (TensorSpec t : tensors) {
      y.append("  - name: ").append(t.name()).append('\n');
      y.append("    datatype: ").append(t.datatype()).append('\n');
      y.append("    shape: ").append(Yaml.flowList(t.shape())).append('\n');
    }
  }
}
