package io.junction.orchestrator.pipeline;

import io.junction.engine.PipelineConfigException;
import io.junction.orchestrator.pool.Pools;

/**
 * Compiles the configured pipelines against pools that have started. Bound by
 * {@link PipelineModule} instead of {@link Pipelines} itself: compiling needs the models'
 * signatures, which exist only once {@link Pools#start()} has brought the workers up, and a
 * Guice module must not start workers. The lifecycle code calls this after starting the pools.
 */
@FunctionalInterface
public interface PipelineFactory {

  /**
   * @param startedPools pools whose {@link Pools#start()} returned
   * @throws PipelineConfigException naming the pipeline, the step and the problem
   */
  Pipelines compile(Pools startedPools);
}
