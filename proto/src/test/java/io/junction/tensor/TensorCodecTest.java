package io.junction.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TensorCodecTest {

  private static InferInputTensor.Builder input(String name, String type, long... shape) {
    InferInputTensor.Builder b = InferInputTensor.newBuilder().setName(name).setDatatype(type);
    for (long d : shape) {
      b.addShape(d);
    }
    return b;
  }

  @Test
  void typedContentsBecomeRawAndBack() {
    InferInputTensor in = input("x", "FP32", 2, 2)
        .setContents(InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2)
            .addFp32Contents(3).addFp32Contents(4))
        .build();
    Tensor t = TensorCodec.fromInputs(List.of(in), List.of()).get(0);
    assertThat(t.floats()).containsExactly(1f, 2f, 3f, 4f);
    assertThat(t.data().size()).isEqualTo(16);
    assertThat(TensorCodec.toOutput(t).getContents().getFp32ContentsList()).containsExactly(1f, 2f, 3f, 4f);
  }

  @Test
  void stringsRoundTripThroughRawForm() {
    Tensor t = Tensor.ofStrings("text", new long[] {2}, List.of("héllo", ""));
    assertThat(t.strings()).containsExactly("héllo", "");
    Tensor back = TensorCodec.fromInputs(List.of(TensorCodec.toRawInputHeader(t)), List.of(t.data())).get(0);
    assertThat(back).isEqualTo(t);
  }

  @Test
  void smallIntegersKeepTheirWidth() {
    InferInputTensor in = input("b", "INT8", 2)
        .setContents(InferTensorContents.newBuilder().addIntContents(-1).addIntContents(127)).build();
    Tensor t = TensorCodec.fromInputs(List.of(in), List.of()).get(0);
    assertThat(t.data().size()).isEqualTo(2);
    assertThat(t.integerValues()).containsExactly(-1, 127);
  }

  static List<Arguments> badInputs() {
    return List.of(
        Arguments.of(List.of(input("x", "FLOAT", 1).build()), List.of(), "x.datatype: \"FLOAT\" (expected: one of"),
        Arguments.of(List.of(input("x", "FP32", -1).build()), List.of(), "x.shape[0]: -1 (expected: >= 0"),
        Arguments.of(List.of(input("x", "FP32", 2).setContents(
            InferTensorContents.newBuilder().addFp32Contents(1)).build()), List.of(),
            "x: 1 values in contents.fp32_contents (expected: 2"),
        Arguments.of(List.of(input("x", "INT64", 1).build()), List.of(ByteString.copyFrom(new byte[3])),
            "x: 3 bytes of raw contents (expected: 8"),
        Arguments.of(List.of(input("s", "BYTES", 1).build()), List.of(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 1})),
            "s: raw BYTES element 0 claims 9 bytes"),
        Arguments.of(List.of(input("x", "FP32", 0).build(), input("x", "FP32", 0).build()), List.of(),
            "x: given twice"),
        Arguments.of(List.of(input("", "FP32", 1).build()), List.of(), "inputs[0].name: empty"),
        Arguments.of(List.of(input("x", "FP32", 1 << 20, 1 << 20).build()), List.of(), "has too many elements"),
        Arguments.of(List.of(input("x", "FP32", 1).build()), List.of(ByteString.EMPTY, ByteString.EMPTY),
            "raw_input_contents: 2 entries (expected: one per input, 1)"),
        Arguments.of(List.of(input("b", "INT8", 1).setContents(
            InferTensorContents.newBuilder().addIntContents(300)).build()), List.of(),
            "b: value 300 does not fit INT8"));
  }

  @ParameterizedTest
  @MethodSource("badInputs")
  void malformedTensorsAreRejectedWithTheirName(List<InferInputTensor> inputs, List<ByteString> raw, String message) {
    assertThatThrownBy(() -> TensorCodec.fromInputs(inputs, raw))
        .isInstanceOf(TensorFormatException.class)
        .hasMessageContaining(message);
  }
}
