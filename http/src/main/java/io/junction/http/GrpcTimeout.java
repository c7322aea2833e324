package io.junction.http;

import java.util.concurrent.TimeUnit;

/**
 * The caller's deadline of an HTTP call: the {@value #HEADER} request header in the syntax of
 * gRPC's own {@code grpc-timeout} (grpc-gateway's convention): 1 to 8 digits and a unit, H
 * hours, M minutes, S seconds, m milliseconds, u microseconds, n nanoseconds ({@code 500m},
 * {@code 2S}). Zero is a deadline already passed, as for gRPC.
 */
public final class GrpcTimeout {
  public static final String HEADER = "Grpc-Timeout";
  static final String EXPECTED = "1 to 8 digits and a unit H, M, S, m, u or n, such as 500m or 2S";

  private GrpcTimeout() {}

  /**
   * The timeout in nanoseconds, or null when {@code value} (the header) is absent.
   *
   * @throws HttpFailure 400 naming the header and the expected form when it is malformed
   */
  public static Long nanos(String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    int digits = v.length() - 1;
    if (digits < 1 || digits > 8) {
      throw malformed(value);
    }
    for (int i = 0; i < digits; i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        throw malformed(value);
      }
    }
    long n = Long.parseLong(v.substring(0, digits));
    TimeUnit unit = switch (v.charAt(digits)) {
      case 'H' -> TimeUnit.HOURS;
      case 'M' -> TimeUnit.MINUTES;
      case 'S' -> TimeUnit.SECONDS;
      case 'm' -> TimeUnit.MILLISECONDS;
      case 'u' -> TimeUnit.MICROSECONDS;
      case 'n' -> TimeUnit.NANOSECONDS;
      default -> throw malformed(value);
    };
    return unit.toNanos(n);
  }

  private static HttpFailure malformed(String value) {
    return HttpFailure.invalid(HEADER + ": \"" + value + "\" (expected: " + EXPECTED + ")");
  }
}
