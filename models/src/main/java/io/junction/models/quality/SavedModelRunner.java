package io.junction.models.quality;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.junction.models.tf.GraphModel;
import io.junction.workers.repository.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs one exported SavedModel of a repository through DJL, the way a worker will: tag
 * {@code serve}, signature {@code serving_default}, inputs and outputs matched by name (DJL sorts
 * them by key, so position means nothing). Quality figures come from these runs, not from the
 * Java objects the models were built from, so they measure what is actually served.
 */
public final class SavedModelRunner implements AutoCloseable {
  private final String name;
  private final ZooModel<NDList, NDList> model;
  private final Predictor<NDList, NDList> predictor;

  private SavedModelRunner(String name, ZooModel<NDList, NDList> model) {
    this.name = name;
    this.model = model;
    this.predictor = model.newPredictor();
  }

  /**
   * Loads {@code name} as a worker does: its model.yaml read and checked first, then the version
   * folder that it names.
   */
  public static SavedModelRunner open(ModelRepository repository, String name) {
    Path versionDir = repository.resolve(name).versionDir();
    Criteria<NDList, NDList> criteria = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optModelPath(versionDir)
        .optModelName(name)
        .optEngine("TensorFlow")
        .optOption("Tags", GraphModel.TAG)
        .optOption("SignatureDefKey", GraphModel.SIGNATURE_KEY)
        .build();
    try {
      return new SavedModelRunner(name, criteria.loadModel());
    } catch (IOException e) {
      throw new UncheckedIOException("loading " + name, e);
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IllegalStateException("loading " + name + " from " + versionDir, e);
    }
  }

  /**
   * Runs the model; each input is named after its signature key ({@code key=array}). The outputs
   * belong to the manager of the first input, which the caller closes.
   */
  public Map<String, NDArray> run(Map<String, NDArray> inputs) {
    NDList list = new NDList();
    inputs.forEach((key, array) -> {
      array.setName(key);
      list.add(array);
    });
    try {
      NDList out = predictor.predict(list);
      Map<String, NDArray> byName = new HashMap<>();
      for (NDArray a : out) {
        byName.put(a.getName(), a);
      }
      return byName;
    } catch (TranslateException e) {
      throw new IllegalStateException("running " + name, e);
    }
  }

  @Override
  public void close() {
    predictor.close();
    model.close();
  }
}
