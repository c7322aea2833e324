package io.junction.models.tf;

import io.junction.tensor.DataType;
import io.junction.workers.repository.BatchingConfig;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.repository.ValueRange;
import io.junction.workers.repository.WarmupSample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * One model under construction: a TensorFlow graph, its {@code serving_default} signature and the
 * model.yaml contract (a workers {@link ModelConfig}), kept in step because both come from the
 * same {@link #input} and {@link #output} calls.
 *
 * <p>Trained weights become variables filled by feeding the Java arrays once, rather than graph
 * constants: the SavedModel then keeps them in {@code variables/} (not in the 2 GB-limited graph
 * proto) and carries no initializer that could overwrite them at load. Not thread-safe; used by one
 * builder and closed after export.
 */
public final class GraphModel implements AutoCloseable {
  public static final String SIGNATURE_KEY = "serving_default";
  public static final String TAG = "serve";
  public static final int MAX_BATCH_SIZE = 64;
  /**
   * Every demo model takes the batch first and treats its rows independently, so each batches.
   * No queue delay: a lone request runs at once (a delay would add itself to every step of a
   * pipeline at low load), while under load the requests that arrive while the model-call
   * threads are busy still join one batch, which is where batching pays off on a CPU.
   * Preferred sizes matter to kernels tuned for some sizes (GPUs), not to these.
   */
  public static final Optional<BatchingConfig> BATCHING = Optional.of(new BatchingConfig(0, List.of()));
  /** The one version the kit builds of each model. */
  public static final int VERSION = 1;

  private static final String INPUTS = "inputs";
  private static final String OUTPUTS = "outputs";

  private final String name;
  private final Graph graph = new Graph();
  private final Ops tf = Ops.create(graph);
  private final Signature.Builder signature = Signature.builder().key(SIGNATURE_KEY);
  private final List<TensorSpec> inputs = new ArrayList<>();
  private final List<TensorSpec> outputs = new ArrayList<>();
  private final Map<String, ValueRange> constraints = new LinkedHashMap<>();
  private final List<String> labels = new ArrayList<>();
  private final List<WarmupSample> warmup = new ArrayList<>();
  private final List<PendingWeight> weights = new ArrayList<>();
  /** The graph's tensors behind the signature's keys (a sub-scope name is made unique per call). */
  private final Map<String, Operand<?>> signatureTensors = new LinkedHashMap<>();
  private Session session;

  private record PendingWeight(Assign<?> assign, Placeholder<?> feed, Supplier<Tensor> value) {}

  public GraphModel(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  public Ops tf() {
    return tf;
  }

  /** A signature input named {@code key}; {@code dims} as in model.yaml (first -1). */
  public <T extends TType> Placeholder<T> input(String key, Class<T> type, long... dims) {
    TensorSpec spec = new TensorSpec(key, datatype(type), Arrays.stream(dims).boxed().toList());
    Placeholder<T> p = tf.withSubScope(INPUTS).withName(key)
        .placeholder(type, Placeholder.shape(Shape.of(dims)));
    signature.input(key, p);
    signatureTensors.put(INPUTS + "/" + key, p);
    inputs.add(spec);
    return p;
  }

  /** A signature output named {@code key}; {@code dims} is what model.yaml promises about it. */
  public <T extends TType> void output(String key, Operand<T> value, long... dims) {
    TensorSpec spec = new TensorSpec(key, datatype(value.type()), Arrays.stream(dims).boxed().toList());
    Operand<T> output = tf.withSubScope(OUTPUTS).withName(key).identity(value);
    signature.output(key, output);
    signatureTensors.put(OUTPUTS + "/" + key, output);
    outputs.add(spec);
  }

  public void constrain(String input, long min, long max) {
    constraints.put(input, new ValueRange(min, max));
  }

  public void labels(List<String> classLabels) {
    labels.clear();
    labels.addAll(classLabels);
  }

  /** The requests a worker runs before it reports this model ready (model.yaml {@code warmup}). */
  public void warmup(List<WarmupSample> samples) {
    warmup.clear();
    warmup.addAll(samples);
  }

  public Operand<TFloat32> weight(String key, float[] values, long... dims) {
    checkSize(key, values.length, dims);
    return weight(key, TFloat32.class, () -> Tensors.of(values, dims), dims);
  }

  public Operand<TInt64> weight(String key, long[] values, long... dims) {
    checkSize(key, values.length, dims);
    return weight(key, TInt64.class, () -> Tensors.of(values, dims), dims);
  }

  public Operand<TBool> weight(String key, boolean[] values, long... dims) {
    checkSize(key, values.length, dims);
    return weight(key, TBool.class, () -> Tensors.of(values, dims), dims);
  }

  private <T extends TType> Operand<T> weight(String key, Class<T> type, Supplier<Tensor> value, long... dims) {
    Ops w = tf.withSubScope("weights");
    Variable<T> variable = w.withName(key).variable(Shape.of(dims), type);
    Placeholder<T> feed = w.withName(key + "_value").placeholder(type, Placeholder.shape(Shape.of(dims)));
    Assign<T> assign = w.withName(key + "_assign").assign(variable, feed);
    weights.add(new PendingWeight(assign, feed, value));
    return variable;
  }

  /**
   * Runs the graph in this JVM (no export needed): feeds the signature input {@code inputKey},
   * returns the signature outputs {@code outputKeys}, in that order. The caller closes the result.
   */
  public Result run(String inputKey, Tensor value, String... outputKeys) {
    Session.Runner runner = session().runner().feed(signatureTensor(INPUTS, inputKey), value);
    for (String key : outputKeys) {
      runner.fetch(signatureTensor(OUTPUTS, key));
    }
    return runner.run();
  }

  private Operand<?> signatureTensor(String side, String key) {
    Operand<?> t = signatureTensors.get(side + "/" + key);
    if (t == null) {
      throw new IllegalArgumentException(name + ": " + side + " key " + key + " (expected: one of "
          + signatureTensors.keySet() + ")");
    }
    return t;
  }

  /** A session over the graph with every weight loaded; built once, then reused. */
  public Session session() {
    if (session == null) {
      session = new Session(graph);
      for (PendingWeight w : weights) {
        try (Tensor value = w.value().get()) {
          session.runner().feed(w.feed(), value).addTarget(w.assign()).run().close();
        }
      }
    }
    return session;
  }

  /**
   * Writes {@code <repo>/<name>/1/} (SavedModel, tag serve) and {@code <repo>/<name>/model.yaml},
   * then reads model.yaml back with the worker's own reader: whatever a worker would refuse in it
   * (a batch dimension that is not -1, a constraint on no input or on a float, a warm-up sample
   * of the wrong form) fails the build here, with the reader's message, rather than when a worker loads the model.
   *
   * <p>Deletes only the folder of this model, which it is about to write again, never the
   * repository's root, so pointing the kit at a folder that holds other things does not lose them.
   */
  public ModelConfig export(ModelRepository repository) {
    ModelConfig contract = new ModelConfig(name, VERSION, ModelConfig.PLATFORM_TENSORFLOW, MAX_BATCH_SIZE, BATCHING,
        inputs, outputs, constraints, labels, repository.versionDir(name, VERSION), warmup);
    deleteTree(repository.modelDir(name));
    try {
      SavedModelBundle.exporter(contract.versionDir().toString())
          .withTags(TAG)
          .withSession(session())
          .withSignature(signature.build())
          .export();
    } catch (IOException e) {
      throw new UncheckedIOException("exporting " + name + " to " + contract.versionDir(), e);
    }
    ModelConfig served = ModelConfig.read(contract.write());
    if (!served.equals(contract)) {
      throw new IllegalStateException(contract.modelYaml() + ": reads back as " + served + " (expected: " + contract
          + ")");
    }
    return served;
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }

  /**
   * The Open Inference Protocol datatype of a TensorFlow Java type. Only the four types the demo
   * models use are mapped, so a graph that produces any other fails at build time rather than
   * writing a contract that the worker's runtime cannot serve.
   */
  private static DataType datatype(Class<? extends TType> type) {
    if (type == TString.class) {
      return DataType.BYTES;
    } else if (type == TFloat32.class) {
      return DataType.FP32;
    } else if (type == TInt32.class) {
      return DataType.INT32;
    } else if (type == TInt64.class) {
      return DataType.INT64;
    }
    throw new IllegalArgumentException(
        "tensor type: " + type.getSimpleName() + " (expected: one of TString, TFloat32, TInt32, TInt64)");
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("deleting " + dir, e);
    }
  }

  private void checkSize(String key, int length, long... dims) {
    long expected = 1;
    for (long d : dims) {
      expected *= d;
    }
    if (expected != length) {
      throw new IllegalArgumentException(name + "." + key + ": " + length + " values (expected: " + expected + ")");
    }
  }
}
