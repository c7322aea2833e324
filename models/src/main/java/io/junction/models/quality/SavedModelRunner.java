package io.junction.models.quality;

import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
import io.junction.workers.runtime.CpuAffinity;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.DeviceSelection;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.runtime.LoadedModel;
import io.junction.workers.runtime.ModelLoader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one exported model of a repository through the worker's own runtime: its model.yaml read
 * and checked, the SavedModel loaded and its signature matched against that contract, inputs
 * and outputs by name. Quality figures come from these runs, not from the Java objects the
 * models were built from, so they measure what a worker serves.
 */
public final class SavedModelRunner implements AutoCloseable {
  private final LoadedModel model;

  private SavedModelRunner(LoadedModel model) {
    this.model = model;
  }

  /** The worker's TensorFlow loader on the CPU, sized to the CPUs this process may use. */
  public static ModelLoader cpuLoader() {
    return ModelLoader.tensorFlow(DeviceSelection.choose(DeviceRequest.CPU, false, GpuProbe.cuda()),
        CpuAffinity.current().count());
  }

  /** Loads {@code name} with {@code loader}, as a worker does. */
  public static SavedModelRunner open(ModelLoader loader, ModelRepository repository, String name) {
    return new SavedModelRunner(loader.load(repository.resolve(name)));
  }

  /** Loads {@code name} with a loader of its own. */
  public static SavedModelRunner open(ModelRepository repository, String name) {
    return open(cpuLoader(), repository, name);
  }

  /** Runs the model on inputs named after its signature keys; every output, by name. */
  public Map<String, Tensor> run(Tensor... inputs) {
    List<String> names = model.config().outputNames();
    List<Tensor> outputs = model.infer(List.of(inputs), names);
    Map<String, Tensor> byName = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      byName.put(names.get(i), outputs.get(i));
    }
    return byName;
  }

  @Override
  public void close() {
    model.close();
  }
}
