package io.junction.orchestrator.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.engine.CompiledPipelines;
import io.junction.engine.ModelInvoker;
import io.junction.engine.PipelineDescription;
import io.junction.engine.Specs;
import io.junction.orchestrator.config.ConfigLoader;
import io.junction.orchestrator.config.JunctionConfig;
import io.junction.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The demo config's pipelines are the ones the engine is tested with ({@link Specs}, whose runs
 * {@code ExecutionTest} and, for the chat's session step, {@code SessionReferencesTest} check),
 * and compile against the demo models.
 */
class DemoPipelinesTest {

  @Test
  void demoYamlParsesIntoTheChatAndRecommendPipelines() throws Exception {
    JunctionConfig demo = ConfigLoader.demo(Path.of("/tmp/models"));
    assertThat(demo.pipelines()).containsExactly(Specs.demoChat(), Specs.recommend());
  }

  @Test
  void demoPipelinesCompileAgainstTheDemoModels() throws Exception {
    CompiledPipelines pipelines = CompiledPipelines.compile(ConfigLoader.demo(Path.of("/tmp/models")).pipelines(),
        Specs.demoModels(), new ModelInvoker() {
          @Override
          public CompletableFuture<List<Tensor>> infer(String model, List<Tensor> in, List<String> out, long timeout) {
            throw new AssertionError("compiling calls no model");
          }

          @Override
          public Failure classify(Throwable error) {
            return Failure.FINAL;
          }
        }, System::nanoTime);
    assertThat(pipelines.describe()).extracting(PipelineDescription::name).containsExactly("chat", "recommend");
    assertThat(pipelines.describe("chat").orElseThrow().steps())
        .containsExactly("featurize", "text_intent", "classify", "reply");
    assertThat(pipelines.describe("recommend").orElseThrow().steps())
        .containsExactly("user_tower", "retrieval", "popular", "candidates", "ranker");
  }
}
