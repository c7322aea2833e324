package io.junction.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class HttpStatusesTest {
  @ParameterizedTest
  @CsvSource({
      "OK, 200",
      "INVALID_ARGUMENT, 400",
      "FAILED_PRECONDITION, 400",
      "OUT_OF_RANGE, 400",
      "UNAUTHENTICATED, 401",
      "PERMISSION_DENIED, 403",
      "NOT_FOUND, 404",
      "ALREADY_EXISTS, 409",
      "ABORTED, 409",
      "RESOURCE_EXHAUSTED, 429",
      "CANCELLED, 499",
      "INTERNAL, 500",
      "UNKNOWN, 500",
      "DATA_LOSS, 500",
      "UNIMPLEMENTED, 501",
      "UNAVAILABLE, 503",
      "DEADLINE_EXCEEDED, 504",
  })
  void eachGrpcCodeHasItsHttpStatus(Status.Code code, int http) {
    assertThat(HttpStatuses.of(code)).isEqualTo(http);
  }

  @ParameterizedTest
  @EnumSource(Status.Code.class)
  void aFailureCarriesTheStatusDescriptionOrElseTheCodeName(Status.Code code) {
    HttpFailure described = HttpFailure.of(Status.fromCode(code).withDescription("k: 0 (expected: 1..100)"));
    assertThat(described.status()).isEqualTo(HttpStatuses.of(code));
    assertThat(described.getMessage()).isEqualTo("k: 0 (expected: 1..100)");
    assertThat(HttpFailure.of(Status.fromCode(code)).getMessage()).isEqualTo(code.name());
  }
}
