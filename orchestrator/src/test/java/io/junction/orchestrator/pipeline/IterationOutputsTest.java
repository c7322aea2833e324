package io.junction.orchestrator.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.engine.Specs;
import io.junction.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class IterationOutputsTest {
  private static final IterationOutputs CHAT = IterationOutputs.of(Specs.chat());
  private static final List<Tensor> ITERATION = List.of(
      Tensor.ofStrings("next_token", new long[] {1}, List.of("Flights")),
      Tensor.ofLongs("next_id", new long[] {1}, 17));

  @Test
  void aLoopsCollectedValueBecomesThePipelineOutputThatReadsIt() {
    List<Tensor> out = CHAT.select("reply", ITERATION, List.of());
    assertThat(out).extracting(Tensor::name).as("next_id is no pipeline output").containsExactly("tokens");
    assertThat(out.get(0).strings()).containsExactly("Flights");
    assertThat(out.get(0).shape()).containsExactly(1);
  }

  @Test
  void onlyRequestedOutputsOfThatStepAreCarried() {
    assertThat(CHAT.select("reply", ITERATION, List.of("intent"))).isEmpty();
    assertThat(CHAT.select("reply", ITERATION, List.of("intent", "tokens"))).extracting(Tensor::name)
        .containsExactly("tokens");
    assertThat(CHAT.select("classify", ITERATION, List.of())).as("another step").isEmpty();
    assertThat(IterationOutputs.NONE.select("reply", ITERATION, List.of())).isEmpty();
  }

  @Test
  void onlyOutputsReadFromALoopAreCarried() {
    assertThat(CHAT.carriesAny(List.of())).isTrue();
    assertThat(CHAT.carriesAny(List.of("confidence", "tokens"))).isTrue();
    assertThat(CHAT.carriesAny(List.of("intent", "confidence"))).as("classify is no loop").isFalse();
    assertThat(CHAT.select("classify", List.of(Tensor.ofStrings("intent", new long[] {1}, List.of("greet"))), List.of()))
        .isEmpty();
    assertThat(IterationOutputs.of(Specs.recommend()).carriesAny(List.of())).isFalse();
  }
}
