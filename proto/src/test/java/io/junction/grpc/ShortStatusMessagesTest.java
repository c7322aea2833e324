package io.junction.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ShortStatusMessagesTest {
  @Test
  void aShortDescriptionIsSentAsItIs() {
    Status s = Status.INVALID_ARGUMENT.withDescription("name: x (expected: y)");
    assertThat(ShortStatusMessages.shortened(s)).isSameAs(s);
    assertThat(ShortStatusMessages.shortened(Status.CANCELLED)).isSameAs(Status.CANCELLED);
  }

  @Test
  void aLongDescriptionIsCutAndSaysHowMuchWasCut() {
    Status s = ShortStatusMessages.shortened(Status.NOT_FOUND.withDescription("name: " + "x".repeat(300_000)));
    assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(s.getDescription()).hasSizeLessThanOrEqualTo(ShortStatusMessages.MAX_CHARS)
        .startsWith("name: xxx").endsWith(" more characters)");
  }

  @Test
  void aCutNeverSplitsASurrogatePair() {
    String emoji = "\uD83D\uDE00";
    for (int prefix = 0; prefix < 2; prefix++) {
      Status s = ShortStatusMessages.shortened(Status.INVALID_ARGUMENT.withDescription("a".repeat(prefix) + emoji.repeat(1000)));
      String d = s.getDescription();
      assertThat(d).hasSizeLessThanOrEqualTo(ShortStatusMessages.MAX_CHARS);
      // every high surrogate in the cut description is followed by its low one
      for (int i = 0; i < d.length(); i++) {
        if (Character.isHighSurrogate(d.charAt(i))) {
          assertThat(Character.isLowSurrogate(d.charAt(i + 1))).as("index %d of %s", i, d).isTrue();
        }
      }
    }
  }

  /**
   * Over real HTTP/2: without the cut, a description of 300,000 characters goes past the 8 KiB
   * of metadata the client accepts, and the client fails the call (and its connection) as
   * INTERNAL; with it, the client gets the server's own status.
   */
  @Test
  void aHugeEchoedValueReachesTheClientAsTheServersStatus() throws Exception {
    String huge = "日本".repeat(150_000);
    ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
        .addMethod(io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Echo/Call")
                .setRequestMarshaller(RawCalls.BYTES).setResponseMarshaller(RawCalls.BYTES).build(),
            ServerCalls.asyncUnaryCall((request, out) -> out.onError(Status.INVALID_ARGUMENT
                .withDescription("name: " + new String(request, StandardCharsets.UTF_8) + " (expected: a known name)")
                .asRuntimeException())))
        .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(echo, new ShortStatusMessages())).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    try {
      assertThatThrownBy(() -> RawCalls.call(channel, "test.Echo/Call", huge.getBytes(StandardCharsets.UTF_8)))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith("name: 日本日本").endsWith(" more characters)");
          });
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
