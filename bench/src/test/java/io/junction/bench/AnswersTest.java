package io.junction.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswersTest {
  @Test
  void floatsWithinToleranceAreEqualAndOthersNameTheFirstDifference() {
    assertThat(Answers.floats("y", new float[] {1.0f, 0.5f}, new float[] {1.00005f, 0.5f})).isNull();
    assertThat(Answers.floats("y", new float[] {1.0f, 0.6f}, new float[] {1.0f, 0.5f})).isEqualTo("y[1]: 0.6 (expected: 0.5)");
    assertThat(Answers.floats("y", new float[] {1.0f}, new float[] {1.0f, 0.5f})).isEqualTo("y: 1 values (expected: 2)");
    assertThat(Answers.floats("y", new float[] {Float.NaN}, new float[] {0f})).isNotNull();
  }

  @Test
  void longsAndStringsMustBeExact() {
    assertThat(Answers.longs("items", new long[] {3, 1}, new long[] {3, 1})).isNull();
    assertThat(Answers.longs("items", new long[] {1, 3}, new long[] {3, 1})).startsWith("items[0]: 1");
    assertThat(Answers.strings("tokens", List.of("a", "b"), List.of("a", "b"))).isNull();
    assertThat(Answers.strings("tokens", List.of("a"), List.of("a", "b"))).isNotNull();
  }

  @Test
  void rawLittleEndianAndNestedJsonDecode() {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).flip();
    assertThat(Answers.rawFloats(b)).containsExactly(1.5f, -2f);
    assertThat(Answers.jsonFloats(JsonParser.parseString("[[1.5, -2], [3]]"))).containsExactly(1.5f, -2f, 3f);
  }
}
