package io.junction.workers.runtime;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * One SavedModel loaded by DJL. Predictors are not thread-safe, so each call borrows one from
 * an idle stack and returns it; the stack never holds more than the number of threads that
 * ever called at once. DJL feeds and returns signature tensors sorted by name, so inputs are
 * passed in name order with their names set, and outputs are matched by name, never position.
 */
final class TfLoadedModel implements LoadedModel {
  private final ModelConfig config;
  private final ZooModel<NDList, NDList> model;
  private final ConcurrentLinkedDeque<Predictor<NDList, NDList>> idle = new ConcurrentLinkedDeque<>();

  TfLoadedModel(ModelConfig config, ZooModel<NDList, NDList> model) {
    this.config = config;
    this.model = model;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputs) {
    Predictor<NDList, NDList> predictor = idle.pollFirst();
    if (predictor == null) {
      predictor = model.newPredictor();
    }
    try (NDManager manager = model.getNDManager().newSubManager()) {
      List<Tensor> sorted = new ArrayList<>(inputs);
      sorted.sort(Comparator.comparing(Tensor::name));
      NDList in = new NDList(sorted.size());
      for (Tensor t : sorted) {
        in.add(NdTensors.toNd(manager, t));
      }
      NDList out = predictor.predict(in);
      try {
        Map<String, NDArray> byName = new HashMap<>();
        for (NDArray nd : out) {
          byName.put(nd.getName(), nd);
        }
        List<Tensor> result = new ArrayList<>(outputs.size());
        for (String name : outputs) {
          NDArray nd = byName.get(name);
          if (nd == null) {
            throw new ModelExecutionException("model " + config.name() + ": output " + name
                + " missing from the engine's result (expected: one of " + byName.keySet() + ")");
          }
          result.add(NdTensors.fromNd(name, nd, config.output(name).orElseThrow().datatype()));
        }
        return result;
      } finally {
        out.close();
      }
    } catch (TranslateException e) {
      throw new ModelExecutionException("model " + config.name() + ": TensorFlow failed: " + e.getMessage(), e);
    } finally {
      idle.addFirst(predictor);
    }
  }

  @Override
  public void close() {
    Predictor<NDList, NDList> p;
    while ((p = idle.pollFirst()) != null) {
      p.close();
    }
    model.close();
  }

  @Override
  public String toString() {
    return "TfLoadedModel[" + config.name() + " v" + config.version() + "]";
  }
}
