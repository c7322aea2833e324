package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.junction.engine.ModelSignature;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.tensor.DataType;
import io.junction.tensor.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberSignaturesTest {
  private static final ModelSignature WANT = new ModelSignature("affine",
      List.of(new TensorSpec("INPUT0", DataType.FP32, List.of(-1L, -1L))),
      List.of(new TensorSpec("OUTPUT0", DataType.FP32, List.of(-1L, -1L))), "pool t, member t-0 at h:1");

  private static ModelMetadataResponse metadata(String input, String datatype, long... shape) {
    ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName("affine");
    ModelMetadataResponse.TensorMetadata.Builder in = b.addInputsBuilder().setName(input).setDatatype(datatype);
    for (long d : shape) {
      in.addShape(d);
    }
    b.addOutputsBuilder().setName("OUTPUT0").setDatatype("FP32").addShape(-1).addShape(-1);
    return b.build();
  }

  @Test
  void theSameMetadataMatches() {
    ModelSignature have = MemberSignatures.signature("affine", metadata("INPUT0", "FP32", -1, -1), "pool t, member t-1 at h:2");
    assertThat(MemberSignatures.mismatch(WANT, have)).isEmpty();
  }

  @Test
  void aDatatypeShapeOrNameThatDiffersIsNamed() {
    assertThat(MemberSignatures.mismatch(WANT, MemberSignatures.signature("affine", metadata("INPUT0", "FP64", -1, -1), "s")))
        .startsWith("model affine: inputs.INPUT0: INPUT0 FP64 [-1, -1] (expected: INPUT0 FP32 [-1, -1], the signature")
        .contains("member t-0 at h:1");
    assertThat(MemberSignatures.mismatch(WANT, MemberSignatures.signature("affine", metadata("INPUT0", "FP32", -1, 8), "s")))
        .startsWith("model affine: inputs.INPUT0: INPUT0 FP32 [-1, 8] (expected: INPUT0 FP32 [-1, -1]");
    assertThat(MemberSignatures.mismatch(WANT, MemberSignatures.signature("affine", metadata("x", "FP32", -1, -1), "s")))
        .startsWith("model affine: inputs.INPUT0: missing (expected: INPUT0 FP32 [-1, -1]");
  }

  @Test
  void metadataWithoutTensorsOrWithAnUnknownDatatypeIsRefusedNamingItsSource() {
    assertThatThrownBy(() -> MemberSignatures.signature("halve", ModelMetadataResponse.newBuilder().setName("halve").build(),
        "pool k, member k-0 at h:3"))
        .hasMessage("model halve: metadata from pool k, member k-0 at h:3 lists 0 input(s) and 0 output(s)"
            + " (expected: at least one of each, with name, datatype and shape)");
    assertThatThrownBy(() -> MemberSignatures.signature("affine", metadata("INPUT0", "FP8", -1), "pool t, member t-0 at h:1"))
        .hasMessageStartingWith("model affine: inputs.INPUT0.datatype: \"FP8\" (expected: one of BOOL")
        .hasMessageEndingWith(", in the metadata from pool t, member t-0 at h:1");
  }
}
