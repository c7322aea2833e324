package io.junction.orchestrator.http;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Channel;
import io.junction.http.HttpCall;
import io.junction.http.HttpFailure;
import io.junction.http.Routes;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.RunPipelineRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The typed services under {@code /v1}, in the protobuf JSON mapping: the body is the gRPC
 * request message as JSON, the answer the gRPC response message as JSON, and the call between
 * is the orchestrator's own gRPC service over the in-process channel. Token streaming is
 * Server-Sent Events ({@link ConverseSse}).
 */
final class TypedRoutes {
  static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private final Channel channel;

  TypedRoutes(Channel channel) {
    this.channel = channel;
  }

  /** Answers {@code path} (after /v1, split at '/'); false when no route matches. */
  boolean serve(HttpCall call, List<String> path) throws IOException {
    if (path.equals(List.of("converse"))) {
      Routes.require(call, "POST");
      ConverseRequest request = parse(call, ConverseRequest.newBuilder()).build();
      answer(call, call.stub(ConversationServiceGrpc.newFutureStub(channel)).converse(request));
    } else if (path.equals(List.of("converse:stream"))) {
      Routes.require(call, "POST");
      ConverseRequest request = parse(call, ConverseRequest.newBuilder()).build();
      ConverseSse.stream(call, call.stub(ConversationServiceGrpc.newStub(channel)), request);
    } else if (path.equals(List.of("recommend"))) {
      Routes.require(call, "POST");
      RecommendRequest request = parse(call, RecommendRequest.newBuilder()).build();
      answer(call, call.stub(RecommendationServiceGrpc.newFutureStub(channel)).recommend(request));
    } else if (path.size() == 2 && path.get(0).equals("pipelines") && path.get(1).endsWith(":run")) {
      Routes.require(call, "POST");
      String name = path.get(1).substring(0, path.get(1).length() - ":run".length());
      RunPipelineRequest.Builder b = parse(call, RunPipelineRequest.newBuilder());
      if (!b.getPipeline().isEmpty() && !b.getPipeline().equals(name)) {
        throw HttpFailure.invalid("pipeline: \"" + b.getPipeline() + "\" (expected: absent, or \"" + name
            + "\" as the path names it)");
      }
      answer(call, call.stub(PipelineServiceGrpc.newFutureStub(channel)).run(b.setPipeline(name).build()));
    } else {
      return false;
    }
    return true;
  }

  /** The body merged into {@code builder}; a body that is not its JSON form is INVALID_ARGUMENT. */
  static <B extends Message.Builder> B parse(HttpCall call, B builder) throws IOException {
    String body = new String(call.body(), StandardCharsets.UTF_8);
    if (body.isBlank()) {
      throw HttpFailure.invalid("body: empty (expected: a JSON object, the " + builder.getDescriptorForType().getFullName()
          + " message in the protobuf JSON mapping)");
    }
    try {
      PARSER.merge(body, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw HttpFailure.invalid("body: malformed JSON: " + e.getMessage() + " (expected: the "
          + builder.getDescriptorForType().getFullName() + " message in the protobuf JSON mapping)");
    }
    return builder;
  }

  private static <T extends Message> void answer(HttpCall call, ListenableFuture<T> response) throws IOException {
    call.send(200, HttpCall.JSON, print(HttpCall.await(response)));
  }

  static byte[] print(Message m) {
    try {
      return PRINTER.print(m).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a message of our own does not print as JSON", e);
    }
  }
}
