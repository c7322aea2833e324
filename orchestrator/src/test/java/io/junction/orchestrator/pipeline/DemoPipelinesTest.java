package io.junction.orchestrator.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.orchestrator.config.ConfigLoader;
import io.junction.orchestrator.config.JunctionConfig;
import io.junction.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The demo config's pipelines are the ones the engine is tested with, and compile against the demo models. */
class DemoPipelinesTest {

  @Test
  void demoYamlParsesIntoTheChatAndRecommendPipelines() throws Exception {
    JunctionConfig demo = ConfigLoader.demo(Path.of("/tmp/models"));
    assertThat(demo.pipelines()).containsExactly(Specs.chat(), Specs.recommend());
  }

  @Test
  void demoPipelinesCompileAgainstTheDemoModelsAndRun() throws Exception {
    FakePools pools = new FakePools();
    Specs.demoModels().values().forEach(s -> pools.add(s, FakePools.hold()));
    FakeTime time = new FakeTime();
    Pipelines pipelines = PipelineCompiler.compile(ConfigLoader.demo(Path.of("/tmp/models")).pipelines(), pools, time, time);

    CompletableFuture<PipelineResult> run = pipelines.run("recommend",
        List.of(Tensor.ofLongs("user_id", new long[] {1}, 3)), RunOptions.DEFAULT, time.deadlineAfterMillis(1000));
    // popular needs only the request's input: it starts with user_tower, not after it.
    assertThat(pools.calls()).extracting(FakePools.Call::model).containsExactly("user_tower", "popular");
    FakePools.Call tower = pools.calls("user_tower").get(0);
    tower.future().complete(List.of(Tensor.ofFloats("embedding", new long[] {1, Specs.D}, new float[(int) Specs.D])));
    assertThat(pools.calls()).extracting(FakePools.Call::model).containsExactly("user_tower", "popular", "retrieval");
    assertThat(run).isNotDone();
  }
}
