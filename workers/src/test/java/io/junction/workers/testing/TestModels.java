package io.junction.workers.testing;

import ai.djl.engine.Engine;
import io.junction.workers.runtime.TensorFlowNatives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Builds tiny real SavedModels and their model.yaml into a repository folder, so tests run the
 * real engine on models whose answers are known:
 * <ul>
 *   <li>{@code scale}: x FP32 [-1,2] → y FP32 [-1,2] = 2x, total FP64 [-1] = the row sums of x;
 *   <li>{@code text}: text BYTES [-1] → lower BYTES [-1] (lower-cased), length INT32 [-1] (bytes);
 *       the one that batches (no queue delay), so the api tests go through the batcher too;
 *   <li>{@code ids}: user_id INT64 [-1] (0..1999), bias INT32 [-1] → shifted INT64 [-1] =
 *       user_id * 10 - bias. Declared in the opposite of name order, so that a worker which fed
 *       DJL's name-sorted inputs by position would give wrong answers.
 * </ul>
 * Each has warm-up samples, so every worker test also loads through the warm-up.
 */
public final class TestModels {
  public static final String SCALE_YAML = """
      name: scale
      version: 1
      platform: tensorflow_savedmodel
      max_batch_size: 8
      inputs:
        - {name: x, datatype: FP32, shape: [-1, 2]}
      outputs:
        - {name: y, datatype: FP32, shape: [-1, 2]}
        - {name: total, datatype: FP64, shape: [-1]}
      warmup:
        - name: one_row
          inputs:
            x: {shape: [1, 2], values: [1.5, -2]}
        - name: full_batch
          inputs:
            x: {shape: [8, 2], fill: 0, at: {3: 0.25}}
      """;
  public static final String TEXT_YAML = """
      name: text
      version: 1
      platform: tensorflow_savedmodel
      max_batch_size: 4
      batching: {max_queue_delay_us: 0}
      inputs:
        - {name: text, datatype: BYTES, shape: [-1]}
      outputs:
        - {name: lower, datatype: BYTES, shape: [-1]}
        - {name: length, datatype: INT32, shape: [-1]}
      warmup:
        - name: words
          inputs:
            text: {shape: [2], values: ["Hello World", "yes"]}
      """;
  public static final String IDS_YAML = """
      name: ids
      version: 1
      platform: tensorflow_savedmodel
      max_batch_size: 16
      inputs:
        - {name: user_id, datatype: INT64, shape: [-1]}
        - {name: bias, datatype: INT32, shape: [-1]}
      outputs:
        - {name: shifted, datatype: INT64, shape: [-1]}
      constraints:
        user_id: {min: 0, max: 1999}
      labels: [a, b]
      warmup:
        - name: edges
          inputs:
            user_id: {shape: [2], values: [0, 1999]}
            bias: {shape: [2], values: [1, -1]}
      """;

  /** A model whose output is one number for the whole batch: it cannot batch, whatever its model.yaml says. */
  public static final String SUMMED_YAML = """
      name: summed
      version: 1
      platform: tensorflow_savedmodel
      max_batch_size: 8
      batching: {max_queue_delay_us: 100}
      inputs:
        - {name: x, datatype: FP32, shape: [-1, 2]}
      outputs:
        - {name: sum, datatype: FP32, shape: [-1]}
      """;

  private TestModels() {}

  /**
   * Writes {@code summed} into {@code repo}: x FP32 [-1,2] → sum FP32, shape [1] in the
   * signature (the sum of the whole batch), with the model.yaml given.
   */
  public static void buildSummed(Path repo, String yaml) {
    TensorFlowNatives.ensureConfigured();
    Engine.getEngine("TensorFlow");
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      Operand<TFloat32> sum = tf.reshape(tf.sum(x, tf.constant(new int[] {0, 1})), tf.constant(new long[] {1}));
      export(repo, "summed", yaml, s, Signature.builder().input("x", x).output("sum", sum));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One of the YAML texts above without its warm-up samples: the contract alone. */
  public static String withoutWarmup(String yaml) {
    int at = yaml.indexOf("warmup:");
    return at < 0 ? yaml : yaml.substring(0, at);
  }

  /** Writes the three models into {@code repo}; returns it. */
  public static Path buildRepository(Path repo) {
    TensorFlowNatives.ensureConfigured();
    Engine.getEngine("TensorFlow");
    try {
      buildScale(repo);
      buildText(repo);
      buildIds(repo);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return repo;
  }

  private static void buildScale(Path repo) throws IOException {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      Operand<TFloat32> y = tf.math.mul(x, tf.constant(2f));
      Operand<TFloat64> total = tf.sum(tf.dtypes.cast(x, TFloat64.class), tf.constant(1));
      export(repo, "scale", SCALE_YAML, s, Signature.builder().input("x", x).output("y", y).output("total", total));
    }
  }

  private static void buildText(Path repo) throws IOException {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TString> text = tf.placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
      Operand<TString> lower = tf.strings.lower(text);
      Operand<TInt32> length = tf.strings.stringLength(text);
      export(repo, "text", TEXT_YAML, s,
          Signature.builder().input("text", text).output("lower", lower).output("length", length));
    }
  }

  private static void buildIds(Path repo) throws IOException {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TInt64> userId = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      Placeholder<TInt32> bias = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      Operand<TInt64> shifted = tf.math.sub(tf.math.mul(userId, tf.constant(10L)), tf.dtypes.cast(bias, TInt64.class));
      export(repo, "ids", IDS_YAML, s,
          Signature.builder().input("user_id", userId).input("bias", bias).output("shifted", shifted));
    }
  }

  private static void export(Path repo, String name, String yaml, Session s, Signature.Builder sig) throws IOException {
    Path dir = repo.resolve(name);
    Files.createDirectories(dir);
    SavedModelBundle.exporter(dir.resolve("1").toString())
        .withSession(s)
        .withSignature(sig.key("serving_default").build())
        .export();
    Files.writeString(dir.resolve("model.yaml"), yaml);
  }
}
