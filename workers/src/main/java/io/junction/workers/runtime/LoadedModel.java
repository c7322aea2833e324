package io.junction.workers.runtime;

import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import java.util.List;

/**
 * A model loaded into the engine, ready to run. {@link #infer} may be called from several
 * threads at once. It trusts its caller to have checked the inputs against {@link #config()};
 * it does not check them again.
 */
public interface LoadedModel extends AutoCloseable {
  ModelConfig config();

  /**
   * Runs the model once.
   *
   * @param inputs every input of the model, each checked against the config
   * @param outputs names of the outputs to return, in the order wanted; all exist in the config
   * @return the requested outputs, in that order
   * @throws ModelExecutionException when the engine fails or returns something the config does not describe
   */
  List<Tensor> infer(List<Tensor> inputs, List<String> outputs);

  /** Frees the engine's resources. Call it only when no {@link #infer} is running. */
  @Override
  void close();
}
