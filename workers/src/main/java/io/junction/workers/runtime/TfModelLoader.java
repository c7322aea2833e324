package io.junction.workers.runtime;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.PairList;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.framework.ConfigProto;
import org.tensorflow.proto.framework.GPUOptions;

/**
 * Loads SavedModels with DJL's TensorFlow engine. Every model gets the same session config:
 * an intra-op pool as large as the CPUs the process may use (TensorFlow's own default would
 * count the host's cores and oversubscribe a pinned replica), no inter-op pool, and on a GPU
 * only the first visible device, since the launcher exposes exactly one.
 *
 * <p>No inter-op pool: a session runs its graph on the thread that calls it, one of the worker's
 * model-calls threads, which are already one per core. An inter-op pool would add a thread
 * handoff to every call for no parallelism the model-calls threads do not already give; on a
 * replica pinned to one core that handoff is a context switch per call, and a decode loop makes
 * one call per token (chat at one client, p50: 2.1-2.3 ms with it gone, 2.6-2.9 ms with it).
 */
final class TfModelLoader implements ModelLoader {
  private static final Logger log = LoggerFactory.getLogger(TfModelLoader.class);

  /** TensorFlow's ConfigProto: a negative inter-op size runs every op on the caller's thread. */
  private static final int CALLER_THREAD = -1;

  private final DeviceSelection device;
  private final int threads;
  private final String sessionConfig;

  private TfModelLoader(DeviceSelection device, int threads, String sessionConfig) {
    this.device = device;
    this.threads = threads;
    this.sessionConfig = sessionConfig;
  }

  static TfModelLoader start(DeviceSelection device, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
    }
    TensorFlowNatives.ensureConfigured();
    Engine engine = Engine.getEngine("TensorFlow");
    log.info("TensorFlow {} on {} with {} intra-op threads, ops run on the model-calls threads", engine.getVersion(), device.device(), threads);
    return new TfModelLoader(device, threads, sessionConfig(device, threads));
  }

  /** The serialized ConfigProto, base64: the form DJL's TfModel takes in its "ConfigProto" option. */
  static String sessionConfig(DeviceSelection device, int threads) {
    ConfigProto.Builder config = ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(threads)
        .setInterOpParallelismThreads(CALLER_THREAD)
        .setAllowSoftPlacement(true);
    if (device.djlDevice().isGpu()) {
      config.setGpuOptions(GPUOptions.newBuilder().setVisibleDeviceList("0").setAllowGrowth(true));
    }
    return Base64.getEncoder().encodeToString(config.build().toByteArray());
  }

  @Override
  public int intraOpThreads() {
    return threads;
  }

  /** None: a session runs on the model-calls thread that calls it. */
  @Override
  public int interOpThreads() {
    return 0;
  }

  @Override
  public LoadedModel load(ModelConfig config) {
    checkDatatypes(config);
    Criteria<NDList, NDList> criteria = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optEngine("TensorFlow")
        .optModelPath(config.versionDir())
        .optModelName(config.name())
        .optDevice(device.djlDevice())
        .optOption("Tags", "serve")
        .optOption("SignatureDefKey", "serving_default")
        .optOption("ConfigProto", sessionConfig)
        .build();
    ZooModel<NDList, NDList> model;
    try {
      model = criteria.loadModel();
    } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
      throw new ModelLoadException("model " + config.name() + ": cannot load " + config.versionDir()
          + " (expected: a TensorFlow SavedModel with tag \"serve\" and signature \"serving_default\"): " + e, e);
    }
    try {
      checkSignature(config, model);
      return new TfLoadedModel(config, model);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static void checkDatatypes(ModelConfig config) {
    List<TensorSpec> all = new ArrayList<>(config.inputs());
    all.addAll(config.outputs());
    for (TensorSpec t : all) {
      if (!NdTensors.SUPPORTED.contains(t.datatype())) {
        throw new ModelLoadException(config.versionDir().getParent().resolve(ModelConfig.FILE_NAME) + ": "
            + t.name() + ".datatype: " + t.datatype() + " (expected: one of " + NdTensors.supportedNames()
            + ", the datatypes the TensorFlow runtime serves)");
      }
    }
  }

  /** Names must match the signature; where the signature knows a dimension, model.yaml must agree. */
  private static void checkSignature(ModelConfig config, ZooModel<NDList, NDList> model) {
    compare(config, "inputs", config.inputs(), model.describeInput(), true);
    compare(config, "outputs", config.outputs(), model.describeOutput(), false);
    if (config.batching().isPresent()) {
      checkBatchable(config, model.describeOutput());
    }
  }

  /**
   * A batched call is split back per request along the first dimension of every output, so a
   * model that batches must leave that dimension to the batch: a signature that fixes it (a
   * model that sums over its batch, say) would be cut wrongly.
   */
  private static void checkBatchable(ModelConfig config, PairList<String, Shape> signature) {
    if (signature == null) {
      return;
    }
    for (int i = 0; i < signature.size(); i++) {
      long[] dims = signature.valueAt(i).getShape();
      // An empty shape is a rank the signature does not know; model.yaml's -1 stands then.
      if (config.output(signature.keyAt(i)).isPresent() && dims.length > 0 && dims[0] >= 0) {
        throw new ModelLoadException(config.modelYaml() + ": batching: output " + signature.keyAt(i)
            + " has first dimension " + dims[0] + " in the serving_default signature (expected: -1, the batch, "
            + "as the first dimension of every output of a model that batches; remove the batching block otherwise)");
      }
    }
  }

  private static void compare(ModelConfig config, String what, List<TensorSpec> declared,
      PairList<String, Shape> signature, boolean exact) {
    Map<String, Shape> actual = new TreeMap<>();
    if (signature != null) {
      for (int i = 0; i < signature.size(); i++) {
        actual.put(signature.keyAt(i), signature.valueAt(i));
      }
    }
    String where = "model " + config.name() + ": " + what;
    for (TensorSpec t : declared) {
      Shape s = actual.get(t.name());
      if (s == null) {
        throw new ModelLoadException(where + ": " + t.name() + " is in model.yaml but not in the serving_default "
            + "signature (expected: one of " + String.join(", ", actual.keySet()) + ")");
      }
      long[] dims = s.getShape();
      if (dims.length > 0) {
        if (dims.length != t.rank()) {
          throw new ModelLoadException(where + ": " + t.name() + " has rank " + t.rank() + " in model.yaml "
              + Tensor.shapeString(t.shapeArray()) + " (expected: rank " + dims.length + " as the signature's "
              + Tensor.shapeString(dims) + ")");
        }
        for (int i = 0; i < dims.length; i++) {
          long declaredDim = t.shape().get(i);
          if (dims[i] >= 0 && declaredDim >= 0 && dims[i] != declaredDim) {
            throw new ModelLoadException(where + ": " + t.name() + ".shape[" + i + "]: " + declaredDim
                + " (expected: " + dims[i] + " as the signature says)");
          }
        }
      }
    }
    if (exact && actual.size() != declared.size()) {
      List<String> missing = new ArrayList<>(actual.keySet());
      missing.removeAll(declared.stream().map(TensorSpec::name).toList());
      throw new ModelLoadException(where + ": the signature also needs " + String.join(", ", missing)
          + " (expected: every signature input in model.yaml)");
    }
  }
}
