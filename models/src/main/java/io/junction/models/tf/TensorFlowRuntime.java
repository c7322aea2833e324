package io.junction.models.tf;

import ai.djl.engine.Engine;
import io.junction.workers.runtime.TensorFlowNatives;

/**
 * Starts TensorFlow the way this machine needs: the native library extracted offline by the
 * workers module, then DJL's engine, which loads {@code jnitensorflow}. Until both happened, any
 * {@code org.tensorflow} class fails with {@code UnsatisfiedLinkError}, so every entry point of the
 * kit calls {@link #start()} first.
 */
public final class TensorFlowRuntime {
  private TensorFlowRuntime() {}

  public static synchronized void start() {
    TensorFlowNatives.ensureConfigured();
    Engine.getEngine("TensorFlow");
  }
}
