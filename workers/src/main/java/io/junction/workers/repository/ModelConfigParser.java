package io.junction.workers.repository;

import io.junction.tensor.DataType;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Turns one {@code model.yaml} into a {@link ModelConfig}, checking everything once. Unknown
 * keys are errors: a misspelt {@code max_batch_sise} silently ignored would be worse than a
 * refusal. Every message reads {@code path: value (expected: ...)}, prefixed by the file.
 */
final class ModelConfigParser {
  private static final Set<String> TOP_KEYS = Set.of(
      "name", "version", "platform", "max_batch_size", "batching", "inputs", "outputs", "constraints", "labels",
      "warmup");
  private static final Set<String> BATCHING_KEYS = Set.of("max_queue_delay_us", "preferred_batch_sizes");
  private static final Set<String> TENSOR_KEYS = Set.of("name", "datatype", "shape");
  private static final Set<String> RANGE_KEYS = Set.of("min", "max");
  private static final Set<DataType> INTEGER_TYPES = Set.of(
      DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64,
      DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64);

  private final Path file;

  private ModelConfigParser(Path file) {
    this.file = file;
  }

  static ModelConfig parse(Path file) {
    return new ModelConfigParser(file).parse();
  }

  private ModelConfig parse() {
    Object doc;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
    } catch (NoSuchFileException e) {
      throw new ModelConfigException(file, "missing (expected: the model's contract, see docs/model-repository.md)");
    } catch (IOException e) {
      throw new ModelConfigException(file, "unreadable: " + e.getMessage(), e);
    } catch (YAMLException e) {
      throw new ModelConfigException(file, "not valid YAML: " + e.getMessage().replace('\n', ' '), e);
    }
    Map<String, Object> top = map("(document)", doc);
    checkKeys("", top, TOP_KEYS);

    String folder = file.toAbsolutePath().getParent().getFileName().toString();
    String name = string("name", top.get("name"));
    if (!name.equals(folder)) {
      throw error("name", quote(name), "\"" + folder + "\", the name of the model's folder");
    }
    long version = integer("version", top.get("version"));
    if (version < 1) {
      throw error("version", Long.toString(version), ">= 1");
    }
    Path versionDir = file.toAbsolutePath().getParent().resolve(Long.toString(version));
    if (!Files.isRegularFile(versionDir.resolve("saved_model.pb"))) {
      throw error("version", Long.toString(version), "a folder " + versionDir + " holding saved_model.pb");
    }
    String platform = string("platform", top.get("platform"));
    if (!platform.equals(ModelConfig.PLATFORM_TENSORFLOW)) {
      throw error("platform", quote(platform), ModelConfig.PLATFORM_TENSORFLOW);
    }
    long maxBatch = integer("max_batch_size", top.get("max_batch_size"));
    if (maxBatch < 1 || maxBatch > Integer.MAX_VALUE) {
      throw error("max_batch_size", Long.toString(maxBatch), ">= 1");
    }
    Optional<BatchingConfig> batching = batching(top.get("batching"), (int) maxBatch);
    List<TensorSpec> inputs = tensors("inputs", top.get("inputs"));
    List<TensorSpec> outputs = tensors("outputs", top.get("outputs"));
    Map<String, ValueRange> constraints = constraints(top.get("constraints"), inputs);
    List<String> labels = labels(top.get("labels"));
    List<WarmupSample> warmup = WarmupYaml.parse(this, top.get("warmup"), inputs);
    return new ModelConfig(name, version, platform, (int) maxBatch, batching, inputs, outputs, constraints, labels,
        versionDir, warmup);
  }

  /**
   * The batching block. Every output of a model is already declared with the batch as its first
   * dimension (see {@link #shape}), which is what lets a batch be split back per request; the
   * loader checks the SavedModel's signature agrees.
   */
  private Optional<BatchingConfig> batching(Object value, int maxBatch) {
    if (value == null) {
      return Optional.empty();
    }
    Map<String, Object> m = map("batching", value);
    checkKeys("batching.", m, BATCHING_KEYS);
    long delay = integer("batching.max_queue_delay_us", m.get("max_queue_delay_us"));
    if (delay < 0 || delay > BatchingConfig.MAX_QUEUE_DELAY_MICROS) {
      throw error("batching.max_queue_delay_us", Long.toString(delay),
          "0.." + BatchingConfig.MAX_QUEUE_DELAY_MICROS + " microseconds");
    }
    List<Integer> preferred = new ArrayList<>();
    Object sizes = m.get("preferred_batch_sizes");
    if (sizes != null) {
      if (!(sizes instanceof List<?> list)) {
        throw error("batching.preferred_batch_sizes", describe(sizes), "a list of batch sizes");
      }
      for (int i = 0; i < list.size(); i++) {
        String at = "batching.preferred_batch_sizes[" + i + "]";
        long size = integer(at, list.get(i));
        if (size < 1) {
          throw error(at, Long.toString(size), ">= 1");
        }
        if (size > maxBatch) {
          throw error(at, Long.toString(size), "<= max_batch_size " + maxBatch);
        }
        if (!preferred.isEmpty() && size <= preferred.get(preferred.size() - 1)) {
          throw error(at, Long.toString(size), "> " + preferred.get(preferred.size() - 1)
              + ": sizes in ascending order, each once");
        }
        preferred.add((int) size);
      }
    }
    return Optional.of(new BatchingConfig(delay, preferred));
  }

  private List<TensorSpec> tensors(String path, Object value) {
    if (value == null) {
      throw error(path, "missing", "a list of tensors with name, datatype and shape");
    }
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw error(path, describe(value), "a non-empty list of tensors with name, datatype and shape");
    }
    List<TensorSpec> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String at = path + "[" + i + "]";
      Map<String, Object> t = map(at, list.get(i));
      checkKeys(at + ".", t, TENSOR_KEYS);
      String name = string(at + ".name", t.get("name"));
      if (!names.add(name)) {
        throw error(at + ".name", quote(name), "a name not used by another of " + path);
      }
      String typeName = string(at + ".datatype", t.get("datatype"));
      DataType type = DataType.fromName(typeName)
          .orElseThrow(() -> error(at + ".datatype", quote(typeName), "one of " + DataType.names()));
      out.add(new TensorSpec(name, type, shape(at + ".shape", t.get("shape"))));
    }
    return out;
  }

  private List<Long> shape(String path, Object value) {
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw error(path, describe(value), "a list of dimensions starting with -1, the batch");
    }
    List<Long> dims = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      long d = integer(path + "[" + i + "]", list.get(i));
      if (i == 0 && d != -1) {
        throw error(path + "[0]", Long.toString(d), "-1: the first dimension is the batch");
      }
      if (d != -1 && d < 1) {
        throw error(path + "[" + i + "]", Long.toString(d), "-1 (any size) or >= 1");
      }
      dims.add(d);
    }
    return dims;
  }

  private Map<String, ValueRange> constraints(Object value, List<TensorSpec> inputs) {
    if (value == null) {
      return Map.of();
    }
    Map<String, Object> m = map("constraints", value);
    Map<String, ValueRange> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      String at = "constraints." + e.getKey();
      TensorSpec input = inputs.stream().filter(t -> t.name().equals(e.getKey())).findFirst()
          .orElseThrow(() -> error("constraints", quote(e.getKey()),
              "the name of an input: " + String.join(", ", inputs.stream().map(TensorSpec::name).toList())));
      if (!INTEGER_TYPES.contains(input.datatype())) {
        throw error(at, "on a " + input.datatype() + " input", "an input of an integer datatype");
      }
      Map<String, Object> r = map(at, e.getValue());
      checkKeys(at + ".", r, RANGE_KEYS);
      long min = integer(at + ".min", r.get("min"));
      long max = integer(at + ".max", r.get("max"));
      if (min > max) {
        throw error(at, "{min: " + min + ", max: " + max + "}", "min <= max");
      }
      out.put(e.getKey(), new ValueRange(min, max));
    }
    return out;
  }

  private List<String> labels(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw error("labels", describe(value), "a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(string("labels[" + i + "]", list.get(i)));
    }
    return out;
  }

  // ---- typed reads ----

  @SuppressWarnings("unchecked")
  Map<String, Object> map(String path, Object value) {
    if (!(value instanceof Map<?, ?> m)) {
      throw error(path, describe(value), "a mapping");
    }
    for (Object k : m.keySet()) {
      if (!(k instanceof String)) {
        throw error(path, "key " + k, "string keys");
      }
    }
    return (Map<String, Object>) m;
  }

  void checkKeys(String prefix, Map<String, Object> m, Set<String> allowed) {
    for (String k : m.keySet()) {
      if (!allowed.contains(k)) {
        throw error(prefix + k, "unknown key", "one of " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  String string(String path, Object value) {
    if (value == null) {
      throw error(path, "missing", "a non-empty string");
    }
    if (!(value instanceof String s) || s.isBlank()) {
      throw error(path, describe(value), "a non-empty string");
    }
    return s;
  }

  long integer(String path, Object value) {
    if (value == null) {
      throw error(path, "missing", "an integer");
    }
    if (value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    throw error(path, describe(value), "an integer");
  }

  static String describe(Object value) {
    if (value == null) {
      return "missing";
    }
    if (value instanceof String s) {
      return quote(s);
    }
    if (value instanceof Map<?, ?>) {
      return "a mapping";
    }
    if (value instanceof List<?> l) {
      return l.isEmpty() ? "[]" : "a list";
    }
    return String.valueOf(value);
  }

  static String quote(String s) {
    return "\"" + s + "\"";
  }

  ModelConfigException error(String path, String found, String expected) {
    return new ModelConfigException(file, path + ": " + found + " (expected: " + expected + ")");
  }
}
