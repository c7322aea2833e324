package io.junction.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Call credentials that send {@code authorization: Bearer <token>}, the token asked of a
 * supplier for each call (so a refreshing token source works; it is asked on the application
 * executor, never on a transport thread). A token is a secret: {@link #of} sends it only over a
 * channel with privacy (TLS) and fails the call with {@code UNAUTHENTICATED} otherwise;
 * {@link #overPlaintext} also sends it in the clear, for a mesh whose sidecars add mTLS or a
 * loopback connection. A null, blank or failing supplier fails the call with
 * {@code UNAUTHENTICATED}; the call is never sent without the token.
 */
public final class BearerToken extends CallCredentials {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Supplier<String> token;
  private final boolean plaintextAllowed;

  private BearerToken(Supplier<String> token, boolean plaintextAllowed) {
    this.token = Objects.requireNonNull(token, "token");
    this.plaintextAllowed = plaintextAllowed;
  }

  /** A bearer token sent only over TLS. */
  public static CallCredentials of(Supplier<String> token) {
    return new BearerToken(token, false);
  }

  /** A bearer token sent over any channel, plaintext included: only where the network is trusted. */
  public static CallCredentials overPlaintext(Supplier<String> token) {
    return new BearerToken(token, true);
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor appExecutor, MetadataApplier applier) {
    if (!plaintextAllowed && info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("bearer token: not sent over a channel with security "
          + info.getSecurityLevel() + " (expected: TLS, or BearerToken.overPlaintext on a trusted network)"));
      return;
    }
    appExecutor.execute(() -> {
      String value;
      try {
        value = token.get();
      } catch (RuntimeException e) {
        applier.fail(Status.UNAUTHENTICATED.withDescription("bearer token: the supplier failed: " + e).withCause(e));
        return;
      }
      if (value == null || value.isBlank()) {
        applier.fail(Status.UNAUTHENTICATED.withDescription("bearer token: "
            + (value == null ? "null" : "blank") + " (expected: a token from the supplier)"));
        return;
      }
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + value);
      applier.apply(headers);
    });
  }
}
