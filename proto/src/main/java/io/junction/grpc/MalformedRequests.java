package io.junction.grpc;

import com.google.protobuf.Message;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.SecurityLevel;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a request that does not parse (bytes that are not the method's message, or a string
 * field that is not UTF-8) an INVALID_ARGUMENT that says so. grpc-java parses requests inside
 * the transport's listener and answers a parse failure with {@code UNKNOWN: Application error
 * processing RPC} and a logged stack trace: a client's mistake, reported as ours.
 *
 * <p>Each method is re-bound to take the request's bytes as they arrived and parse them with
 * the method's own marshaller before the handler sees them; what parses reaches the handler
 * exactly as before. The orchestrator's server uses it too. It must not touch responses.
 */
public final class MalformedRequests {
  private static final MethodDescriptor.Marshaller<InputStream> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  private MalformedRequests() {}

  /** The service, with requests parsed where a failure can still be answered. */
  public static ServerServiceDefinition rejectedAsInvalid(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<InputStream, ?> wrapped = wrap(m);
      descriptor.addMethod(wrapped.getMethodDescriptor());
      methods.add(wrapped);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<InputStream, RespT> wrap(ServerMethodDefinition<ReqT, RespT> m) {
    MethodDescriptor<ReqT, RespT> method = m.getMethodDescriptor();
    MethodDescriptor<InputStream, RespT> raw = method.toBuilder(BYTES, method.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(raw, new Parsing<>(method, m.getServerCallHandler()));
  }

  private static final class Parsing<ReqT, RespT> implements ServerCallHandler<InputStream, RespT> {
    private final MethodDescriptor<ReqT, RespT> method;
    private final ServerCallHandler<ReqT, RespT> next;

    Parsing(MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> next) {
      this.method = method;
      this.next = next;
    }

    @Override
    public ServerCall.Listener<InputStream> startCall(ServerCall<InputStream, RespT> call, Metadata headers) {
      ServerCall.Listener<ReqT> listener = next.startCall(new Typed<>(call, method), headers);
      return new ServerCall.Listener<>() {
        // set on the transport's thread that delivers messages, read on the same one
        private boolean rejected;

        @Override
        public void onMessage(InputStream message) {
          if (rejected) {
            return;
          }
          ReqT request;
          try {
            request = method.parseRequest(message);
          } catch (RuntimeException e) {
            rejected = true;
            String type = requestType();
            call.close(Status.INVALID_ARGUMENT.withDescription("request: not a " + type + ": " + reason(e)
                + " (expected: a serialized " + type + ", its strings in UTF-8)"), new Metadata());
            return;
          }
          listener.onMessage(request);
        }

        @Override
        public void onHalfClose() {
          if (!rejected) {
            listener.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          listener.onCancel();
        }

        @Override
        public void onComplete() {
          listener.onComplete();
        }

        @Override
        public void onReady() {
          listener.onReady();
        }
      };
    }

    /** The request message's protobuf name, as clients' .proto files spell it. */
    private String requestType() {
      if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
          && p.getMessagePrototype() instanceof Message m) {
        return m.getDescriptorForType().getFullName();
      }
      return method.getFullMethodName() + " request";
    }

    /** grpc-protobuf wraps the parser's exception in an INTERNAL status; its cause says what was wrong. */
    private static String reason(RuntimeException e) {
      Throwable t = e.getCause() != null ? e.getCause() : e;
      return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
  }

  /**
   * The call as the typed handler sees it: the method it was bound for, the same transport call
   * underneath. (grpc's ForwardingServerCall wants a delegate of the same request type.)
   */
  private static final class Typed<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<InputStream, RespT> delegate;
    private final MethodDescriptor<ReqT, RespT> method;

    Typed(ServerCall<InputStream, RespT> delegate, MethodDescriptor<ReqT, RespT> method) {
      this.delegate = delegate;
      this.method = method;
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }

    @Override
    public void request(int numMessages) {
      delegate.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      delegate.sendHeaders(headers);
    }

    @Override
    public void sendMessage(RespT message) {
      delegate.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return delegate.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      delegate.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return delegate.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      delegate.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      delegate.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      delegate.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return delegate.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return delegate.getAttributes();
    }

    @Override
    public String getAuthority() {
      return delegate.getAuthority();
    }
  }
}
