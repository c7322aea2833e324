package io.junction.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkloadsTest {
  private static JsonObject json(String s) {
    return JsonParser.parseString(s).getAsJsonObject();
  }

  @Test
  void modelInferOutputsAreReadFromRawContentsOrTypedContentsByName() {
    ByteString raw = ByteString.copyFrom(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.25f).putFloat(0.75f).flip());
    ModelInferResponse rawAnswer = ModelInferResponse.newBuilder()
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("OUTPUT0"))
        .addRawOutputContents(raw).build();
    ModelInferResponse typedAnswer = ModelInferResponse.newBuilder()
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("other"))
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y")
            .setContents(InferTensorContents.newBuilder().addFp32Contents(0.5f)))
        .build();

    assertThat(Workloads.inferFloats(rawAnswer, "OUTPUT0")).containsExactly(0.25f, 0.75f);
    assertThat(Workloads.inferFloats(typedAnswer, "y")).containsExactly(0.5f);
    assertThat(Workloads.inferFloats(typedAnswer, "missing")).isEmpty();
  }

  @Test
  void restInferOutputsAreFoundByName() {
    var answer = JsonParser.parseString(
        "{\"outputs\": [{\"name\": \"a\", \"data\": [1]}, {\"name\": \"OUTPUT0\", \"shape\": [1, 2], \"data\": [0.5, 0.25]}]}");

    assertThat(Workloads.oipJsonFloats(answer, "OUTPUT0")).containsExactly(0.5f, 0.25f);
    assertThat(Workloads.oipJsonFloats(answer, "b")).isEmpty();
  }

  @Test
  void expectedAnswersAreParsedOncePerWorkloadAndChecked() {
    Workloads.Expected rec = Workloads.Expected.of("recommend",
        json("{\"user_id\": 3, \"k\": 2, \"items\": [7, 5], \"scores\": [0.9, 0.8]}"), "y");
    assertThat(Workloads.ranked(List.of(7L, 5L), List.of(0.9f, 0.8f), rec)).isNull();
    assertThat(Workloads.ranked(List.of(5L, 7L), List.of(0.9f, 0.8f), rec)).startsWith("items[0]: 5");

    Workloads.Expected chat = Workloads.Expected.of("chat",
        json("{\"text\": \"hi\", \"intent\": \"greeting\", \"tokens\": [\"Hello!\", \"How\"]}"), "y");
    assertThat(Workloads.reply("greeting", List.of("Hello!", "How"), chat)).isNull();
    assertThat(Workloads.reply("goodbye", List.of("Hello!", "How"), chat)).isEqualTo("intent: goodbye (expected: greeting)");
    assertThat(Workloads.reply("greeting", List.of("Hello!"), chat)).startsWith("tokens:");

    Workloads.Expected step = Workloads.Expected.of("threestep", json("{\"x\": [1], \"y\": [0.5], \"mlp\": [2]}"), "mlp");
    assertThat(step.floats()).containsExactly(2f);
  }

  @Test
  void aReferenceWithoutTheExpectedKeyIsRefusedBeforeAnyCall() {
    assertThatThrownBy(() -> Workloads.Expected.of("threestep", json("{\"x\": [1]}"), "y"))
        .hasMessageContaining("a case has no \"y\"");
    assertThatThrownBy(() -> Workloads.Expected.of("chess", json("{}"), "y"))
        .hasMessage("workload: chess (expected: threestep, recommend or chat)");
  }
}
