package io.junction.workers.repository;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorFormatException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code warmup} key of model.yaml, read and written. Each sample names every input of the
 * model with its shape and its values, row-major: either all of them ({@code values}), or one
 * value for every element ({@code fill}) with some elements set apart ({@code at}: flat index to
 * value), so that a sparse feature row of width 2048 stays one readable line.
 *
 * <p>Reading checks the form (names, shapes, value counts, values of the input's datatype) and
 * builds the tensors; whether a sample fits the contract (rank, dimensions, batch size,
 * constraints) is the request validator's question, asked by the worker before it loads the
 * model, as it is asked of every request.
 */
final class WarmupYaml {
  private static final Set<String> SAMPLE_KEYS = Set.of("name", "inputs");
  private static final Set<String> INPUT_KEYS = Set.of("shape", "values", "fill", "at");
  /** Datatypes a sample can carry: those the TensorFlow runtime serves. */
  private static final Set<DataType> TYPES = Set.of(DataType.FP32, DataType.FP64, DataType.INT32, DataType.INT64,
      DataType.BYTES);
  /** Elements of one warm-up input at most: enough for any batch of any demo model, far from exhausting memory. */
  static final long MAX_ELEMENTS = 1L << 22;
  /** Writing switches to fill and at when at least this many elements, and at most half of them non-zero. */
  private static final int SPARSE_FROM = 16;

  private WarmupYaml() {}

  // ---- reading ----

  static List<WarmupSample> parse(ModelConfigParser p, Object value, List<TensorSpec> inputs) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw p.error("warmup", ModelConfigParser.describe(value), "a non-empty list of samples with name and inputs");
    }
    List<WarmupSample> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String at = "warmup[" + i + "]";
      Map<String, Object> sample = p.map(at, list.get(i));
      p.checkKeys(at + ".", sample, SAMPLE_KEYS);
      String name = p.string(at + ".name", sample.get("name"));
      if (!names.add(name)) {
        throw p.error(at + ".name", ModelConfigParser.quote(name), "a name not used by another warm-up sample");
      }
      Map<String, Object> given = p.map(at + ".inputs", sample.get("inputs"));
      for (String key : given.keySet()) {
        if (inputs.stream().noneMatch(t -> t.name().equals(key))) {
          throw p.error(at + ".inputs." + key, "not an input of the model", "one of " + inputNames(inputs));
        }
      }
      List<Tensor> tensors = new ArrayList<>();
      for (TensorSpec spec : inputs) {
        String path = at + ".inputs." + spec.name();
        if (!given.containsKey(spec.name())) {
          throw p.error(path, "missing", "every input of the model: " + inputNames(inputs));
        }
        tensors.add(tensor(p, path, spec, p.map(path, given.get(spec.name()))));
      }
      out.add(new WarmupSample(name, tensors));
    }
    return out;
  }

  private static Tensor tensor(ModelConfigParser p, String path, TensorSpec spec, Map<String, Object> m) {
    p.checkKeys(path + ".", m, INPUT_KEYS);
    if (!TYPES.contains(spec.datatype())) {
      throw p.error(path, "an input of datatype " + spec.datatype(),
          "warm-up inputs of datatype " + String.join(", ", TYPES.stream().map(Enum::name).sorted().toList()));
    }
    long[] shape = shape(p, path + ".shape", m.get("shape"));
    long count;
    try {
      count = Tensor.elementCount(spec.name(), shape);
    } catch (TensorFormatException e) {
      count = Long.MAX_VALUE;
    }
    if (count > MAX_ELEMENTS) {
      throw p.error(path + ".shape", Tensor.shapeString(shape), "at most " + MAX_ELEMENTS + " elements in a sample");
    }
    List<Object> values;
    if (m.containsKey("values") == m.containsKey("fill")) {
      throw p.error(path, m.containsKey("values") ? "both values and fill" : "neither values nor fill",
          "values (every element, row-major) or fill (one value for every element, with at for exceptions)");
    }
    if (m.containsKey("values")) {
      if (m.containsKey("at")) {
        throw p.error(path + ".at", "given with values", "at only with fill");
      }
      if (!(m.get("values") instanceof List<?> list)) {
        throw p.error(path + ".values", ModelConfigParser.describe(m.get("values")), "a list of " + count + " values");
      }
      if (list.size() != count) {
        throw p.error(path + ".values", list.size() + " values",
            count + ", the element count of shape " + Tensor.shapeString(shape));
      }
      values = new ArrayList<>(list);
    } else {
      if (spec.datatype() == DataType.BYTES) {
        throw p.error(path + ".fill", "on a BYTES input", "values: the text of every element");
      }
      values = new ArrayList<>(Collections.nCopies((int) count, m.get("fill")));
      Object exceptions = m.get("at");
      if (exceptions != null) {
        if (!(exceptions instanceof Map<?, ?> byIndex)) {
          throw p.error(path + ".at", ModelConfigParser.describe(exceptions), "a mapping of flat index to value");
        }
        for (Map.Entry<?, ?> e : byIndex.entrySet()) {
          long index = p.integer(path + ".at key " + e.getKey(), e.getKey());
          if (index < 0 || index >= count) {
            throw p.error(path + ".at", "index " + index, "0.." + (count - 1) + ", a flat index into shape "
                + Tensor.shapeString(shape));
          }
          values.set((int) index, e.getValue());
        }
      }
    }
    return build(p, path, spec, shape, values, m.containsKey("values") ? ".values" : ".fill");
  }

  private static long[] shape(ModelConfigParser p, String path, Object value) {
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw p.error(path, ModelConfigParser.describe(value), "a list of dimensions, the batch first, such as [1, 2048]");
    }
    long[] dims = new long[list.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = p.integer(path + "[" + i + "]", list.get(i));
      if (dims[i] < 1) {
        throw p.error(path + "[" + i + "]", Long.toString(dims[i]), ">= 1");
      }
    }
    return dims;
  }

  private static Tensor build(ModelConfigParser p, String path, TensorSpec spec, long[] shape, List<Object> values,
      String key) {
    String name = spec.name();
    int n = values.size();
    switch (spec.datatype()) {
      case BYTES -> {
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          if (!(values.get(i) instanceof String s)) {
            throw p.error(path + key + "[" + i + "]", ModelConfigParser.describe(values.get(i)),
                "text (quote it if YAML would read it as a number or a boolean)");
          }
          texts.add(s);
        }
        return Tensor.ofStrings(name, shape, texts);
      }
      case FP32 -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) number(p, path, key, i, values.get(i));
        }
        return Tensor.ofFloats(name, shape, f);
      }
      case FP64 -> {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
          d[i] = number(p, path, key, i, values.get(i));
        }
        return Tensor.ofDoubles(name, shape, d);
      }
      case INT32 -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          long x = integer(p, path, key, i, values.get(i));
          if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
            throw p.error(element(path, key, i), Long.toString(x), "an INT32 value");
          }
          v[i] = (int) x;
        }
        return Tensor.ofInts(name, shape, v);
      }
      case INT64 -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = integer(p, path, key, i, values.get(i));
        }
        return Tensor.ofLongs(name, shape, v);
      }
      default -> throw new IllegalStateException(spec.datatype() + " passed the datatype check");
    }
  }

  private static String element(String path, String key, int i) {
    return key.equals(".fill") ? path + ".fill or at" : path + key + "[" + i + "]";
  }

  private static double number(ModelConfigParser p, String path, String key, int i, Object v) {
    if (v instanceof Double || v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
      return ((Number) v).doubleValue();
    }
    throw p.error(element(path, key, i), ModelConfigParser.describe(v), "a number");
  }

  private static long integer(ModelConfigParser p, String path, String key, int i, Object v) {
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    throw p.error(element(path, key, i), ModelConfigParser.describe(v), "an integer of 64 bits at most");
  }

  private static String inputNames(List<TensorSpec> inputs) {
    return String.join(", ", inputs.stream().map(TensorSpec::name).toList());
  }

  // ---- writing ----

  /** Appends the {@code warmup} key, nothing when there are no samples; read back by {@link #parse}. */
  static void append(StringBuilder y, List<WarmupSample> samples) {
    if (samples.isEmpty()) {
      return;
    }
    y.append("warmup:\n");
    for (WarmupSample s : samples) {
      y.append("  - name: ").append(RepositoryYaml.scalar(s.name())).append('\n');
      y.append("    inputs:\n");
      for (Tensor t : s.inputs()) {
        List<String> values = elements(t);
        y.append("      ").append(RepositoryYaml.scalar(t.name())).append(": {shape: ");
        List<Long> shape = new ArrayList<>();
        for (long d : t.shape()) {
          shape.add(d);
        }
        y.append(RepositoryYaml.flowList(shape));
        Map<Integer, String> nonZero = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
          if (!isZero(values.get(i))) {
            nonZero.put(i, values.get(i));
          }
        }
        if (t.datatype() != DataType.BYTES && values.size() >= SPARSE_FROM && nonZero.size() * 2 <= values.size()) {
          y.append(", fill: 0");
          if (!nonZero.isEmpty()) {
            StringBuilder at = new StringBuilder();
            nonZero.forEach((i, v) -> at.append(at.length() == 0 ? "" : ", ").append(i).append(": ").append(v));
            y.append(", at: {").append(at).append('}');
          }
        } else {
          y.append(", values: [").append(String.join(", ", values)).append(']');
        }
        y.append("}\n");
      }
    }
  }

  private static boolean isZero(String element) {
    return element.equals("0") || element.equals("0.0");
  }

  /** Each element as YAML text that reads back as the same value. */
  private static List<String> elements(Tensor t) {
    List<String> out = new ArrayList<>();
    switch (t.datatype()) {
      case BYTES -> t.strings().forEach(s -> out.add(RepositoryYaml.scalar(s)));
      case FP32 -> {
        for (float f : t.floats()) {
          out.add(floating(Float.isFinite(f) ? Float.toString(f) : null, f));
        }
      }
      case FP64 -> {
        for (double d : t.doubles()) {
          out.add(floating(Double.isFinite(d) ? Double.toString(d) : null, d));
        }
      }
      case INT32, INT64 -> {
        for (long v : t.integerValues()) {
          out.add(Long.toString(v));
        }
      }
      default -> throw new IllegalArgumentException(t.name() + ": " + t.datatype() + " (expected: one of " + TYPES + ")");
    }
    return out;
  }

  /**
   * Java's float text in a form every YAML reader takes as a float: an exponent with its sign
   * ({@code 1.0E+10}; YAML 1.1 wants it), and {@code .inf}, {@code -.inf}, {@code .nan}.
   */
  private static String floating(String javaText, double value) {
    if (javaText == null) {
      return Double.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    }
    int e = javaText.indexOf('E');
    if (e >= 0 && javaText.charAt(e + 1) != '-') {
      return javaText.substring(0, e + 1) + "+" + javaText.substring(e + 1);
    }
    return javaText;
  }
}
