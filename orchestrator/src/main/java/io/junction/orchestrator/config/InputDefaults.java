package io.junction.orchestrator.config;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A pipeline input's {@code default}: the values a run gets when its caller leaves the input out,
 * read from the config as a list (row-major) of as many values as the input's shape holds. The
 * shape must be fixed (no -1), so that the default has one shape; the datatypes are those a
 * config can write exactly: INT32, INT64, FP32, FP64 and BYTES.
 */
final class InputDefaults {
  private static final List<DataType> SUPPORTED = List.of(DataType.INT32, DataType.INT64, DataType.FP32, DataType.FP64,
      DataType.BYTES);

  private InputDefaults() {}

  static Tensor parse(YamlNode n, TensorSpec input) throws ConfigException {
    if (!SUPPORTED.contains(input.datatype())) {
      throw n.fail("given for " + input.name() + " of datatype " + input.datatype() + " (expected: a default only for "
          + "an input of datatype INT32, INT64, FP32, FP64 or BYTES)");
    }
    long[] shape = input.shape().stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw n.fail("given for " + input.name() + " of shape " + input.shape() + " (expected: a default only for an "
            + "input of fixed shape, no -1)");
      }
      count *= d;
    }
    List<YamlNode> values = n.list("a list of " + count + " values, row-major");
    if (values.size() != count) {
      throw n.fail(values.size() + " values (expected: " + count + ", the elements of shape " + input.shape() + ")");
    }
    String name = input.name();
    return switch (input.datatype()) {
      case INT32 -> {
        int[] v = new int[values.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = values.get(i).integer(Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        yield Tensor.ofInts(name, shape, v);
      }
      case INT64 -> {
        long[] v = new long[values.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = values.get(i).integer(Long.MIN_VALUE, Long.MAX_VALUE);
        }
        yield Tensor.ofLongs(name, shape, v);
      }
      case FP32 -> {
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) number(values.get(i));
        }
        yield Tensor.ofFloats(name, shape, v);
      }
      case FP64 -> {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = number(values.get(i));
        }
        yield Tensor.ofDoubles(name, shape, v);
      }
      default -> {
        List<String> v = new ArrayList<>(values.size());
        for (YamlNode value : values) {
          v.add(value.text("a text"));
        }
        yield Tensor.ofStrings(name, shape, v);
      }
    };
  }

  private static double number(YamlNode n) throws ConfigException {
    String text = n.text("a number");
    try {
      double v = Double.parseDouble(text);
      if (Double.isFinite(v)) {
        return v;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw n.expected("a finite number");
  }
}
