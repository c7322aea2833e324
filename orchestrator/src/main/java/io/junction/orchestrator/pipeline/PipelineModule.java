package io.junction.orchestrator.pipeline;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.junction.engine.PipelineSpec;
import io.junction.orchestrator.admission.Admission;
import io.junction.orchestrator.admission.AdmissionConfig;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The pipeline package's bindings: a {@link PipelineFactory} over the pipeline specs and the
 * {@link PipelineLimits} and {@link AdmissionConfig} the process module binds. Not the compiled
 * {@link Pipelines}: see {@link PipelineFactory} for why.
 */
public final class PipelineModule extends AbstractModule {
  @Provides
  @Singleton
  PipelineFactory pipelineFactory(List<PipelineSpec> specs, PipelineLimits limits, AdmissionConfig admission) {
    List<PipelineSpec> copy = List.copyOf(specs);
    return pools -> Pipelines.compile(copy, pools, limits, new Admission(admission));
  }
}
