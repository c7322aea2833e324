package io.junction.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GrpcTimeoutTest {
  @ParameterizedTest
  @CsvSource({
      "1H, 3600000000000",
      "2M, 120000000000",
      "2S, 2000000000",
      "500m, 500000000",
      "250u, 250000",
      "7n, 7",
      "0m, 0",
      "99999999S, 99999999000000000",
      "' 5S ', 5000000000",
  })
  void everyUnitOfGrpcsTimeoutSyntaxIsRead(String header, long nanos) {
    assertThat(GrpcTimeout.nanos(header)).isEqualTo(nanos);
  }

  @Test
  void noHeaderIsNoDeadline() {
    assertThat(GrpcTimeout.nanos(null)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "S", "5", "5s", "5ms", "1.5S", "-1S", "123456789m", "5 S", "PT5S", "five S"})
  void aMalformedValueIs400NamingTheHeaderAndTheExpectedForm(String header) {
    assertThatThrownBy(() -> GrpcTimeout.nanos(header)).isInstanceOfSatisfying(HttpFailure.class, f -> {
      assertThat(f.status()).isEqualTo(400);
      assertThat(f.getMessage()).isEqualTo("Grpc-Timeout: \"" + header + "\" (expected: " + GrpcTimeout.EXPECTED + ")");
    });
  }

  @Test
  void aValueBeyondNanosecondsSaturates() {
    assertThat(GrpcTimeout.nanos("99999999H")).isEqualTo(Long.MAX_VALUE);
  }
}
