package io.junction.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * Sends bytes as they are to a unary method: what a broken or hostile client puts on the wire.
 * Shared with the workers' and the orchestrator's tests through this module's test jar.
 */
public final class RawCalls {
  /** Field 1 (a string in every request below) holding 0xFF 0xFE, which is not UTF-8. */
  public static final byte[] FIELD_1_NOT_UTF8 = {0x0a, 2, (byte) 0xff, (byte) 0xfe};
  /** A varint that never ends: no protobuf message at all. */
  public static final byte[] NOT_PROTOBUF = {(byte) 0xff, (byte) 0xff, (byte) 0xff};

  /** Bytes as they are, for a request or a response. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private RawCalls() {}

  /** The method, of the same type and name, with bytes for its request and its response. */
  public static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> typed) {
    return MethodDescriptor.newBuilder(BYTES, BYTES)
        .setType(typed.getType())
        .setFullMethodName(typed.getFullMethodName())
        .build();
  }

  public static byte[] call(Channel channel, String fullMethodName, byte[] request) {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.newBuilder(BYTES, BYTES)
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .build();
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
        request);
  }
}
