package io.junction.workers.runtime;

import io.junction.workers.repository.ModelConfig;

/** Loads a model of the repository into an engine. */
public interface ModelLoader {
  /**
   * Loads the SavedModel of {@code config.versionDir()} and checks that its serving signature
   * matches the config.
   *
   * @throws ModelLoadException when the model cannot be loaded or does not match its config
   */
  LoadedModel load(ModelConfig config);

  /** The size of the engine's intra-op thread pool (per model session); 0 when it has none to say. */
  default int intraOpThreads() {
    return 0;
  }

  /**
   * The size of the engine's inter-op thread pool (per model session); 0 when it has none (a call
   * runs on the thread that makes it) or none to say.
   */
  default int interOpThreads() {
    return 0;
  }

  /**
   * DJL's TensorFlow engine on one device, with TensorFlow's thread pools sized to {@code threads}.
   * Starts the engine (extracting the native library on first use).
   */
  static ModelLoader tensorFlow(DeviceSelection device, int threads) {
    return TfModelLoader.start(device, threads);
  }
}
