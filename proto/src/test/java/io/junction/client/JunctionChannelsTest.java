package io.junction.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.ScoredItem;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The helper's channel against an in-process server that records what each call brought. */
class JunctionChannelsTest {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PRIORITY = Metadata.Key.of("junction-priority", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TAG = Metadata.Key.of("x-tag", Metadata.ASCII_STRING_MARSHALLER);

  /** Per method: how many attempts reached the server, the headers and deadline of the last. */
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();
  private final AtomicReference<Deadline> lastDeadline = new AtomicReference<>();
  private final AtomicInteger recommendFailures = new AtomicInteger();
  private final AtomicInteger converseFailures = new AtomicInteger();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private String name;
  private Server server;

  @BeforeEach
  void startServer() throws IOException {
    name = InProcessServerBuilder.generateName();
    ServerInterceptor record = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        attempts.computeIfAbsent(call.getMethodDescriptor().getBareMethodName(), k -> new AtomicInteger()).incrementAndGet();
        lastHeaders.set(headers);
        lastDeadline.set(Context.current().getDeadline());
        return Contexts.interceptCall(Context.current(), call, headers, next);
      }
    };
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new Recommendations(), record))
        .addService(ServerInterceptors.intercept(new Conversations(), record))
        .addService(ServerInterceptors.intercept(new Workers(), record))
        .build().start();
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow();
  }

  private ManagedChannel channel(JunctionClientOptions.Builder options) {
    ManagedChannel c = JunctionChannels.configure(InProcessChannelBuilder.forName(name).directExecutor(), options.build()).build();
    channels.add(c);
    return c;
  }

  private static JunctionClientOptions.Builder options() {
    return JunctionClientOptions.builder("junction:8500")
        .retry(new RetryOptions(4, Duration.ofMillis(1), Duration.ofMillis(5), 2.0));
  }

  @Test
  void anIdempotentCallIsRetriedAfterUnavailable() {
    recommendFailures.set(2);
    RecommendResponse r = RecommendationServiceGrpc.newBlockingStub(channel(options()))
        .recommend(RecommendRequest.newBuilder().setUserId(7).build());
    assertThat(r.getItemsList()).extracting(ScoredItem::getItemId).containsExactly(7L);
    assertThat(attempts.get("Recommend")).hasValue(3);
  }

  @Test
  void retriesStopAtMaxAttempts() {
    recommendFailures.set(10);
    assertThatThrownBy(() -> RecommendationServiceGrpc.newBlockingStub(channel(options()))
        .recommend(RecommendRequest.newBuilder().setUserId(7).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(attempts.get("Recommend")).hasValue(4);
  }

  @Test
  void aConversationTurnIsNotRetried() {
    converseFailures.set(1);
    assertThatThrownBy(() -> ConversationServiceGrpc.newBlockingStub(channel(options()))
        .converse(ConverseRequest.newBuilder().setText("hi").setSessionId("s1").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(attempts.get("Converse")).hasValue(1);
  }

  @Test
  void aMethodWithATimeoutGetsItAndOthersTheDefaultDeadline() {
    ManagedChannel c = channel(options().defaultDeadline(Duration.ofSeconds(300))
        .timeout("junction.v1.RecommendationService", Duration.ofSeconds(2)));
    RecommendationServiceGrpc.newBlockingStub(c).recommend(RecommendRequest.getDefaultInstance());
    assertThat(lastDeadline.get().timeRemaining(TimeUnit.MILLISECONDS)).isBetween(1L, 2_000L);

    // WorkerControl is not a client service: no timeout of its own, so the default deadline
    WorkerControlGrpc.newBlockingStub(c).stats(StatsRequest.getDefaultInstance());
    assertThat(lastDeadline.get().timeRemaining(TimeUnit.SECONDS)).isBetween(200L, 300L);

    // the caller's own deadline, when shorter, is kept
    RecommendationServiceGrpc.newBlockingStub(c).withDeadlineAfter(500, TimeUnit.MILLISECONDS)
        .recommend(RecommendRequest.getDefaultInstance());
    assertThat(lastDeadline.get().timeRemaining(TimeUnit.MILLISECONDS)).isBetween(1L, 500L);
  }

  @Test
  void aChatStreamGetsNoDefaultDeadline() throws InterruptedException {
    ManagedChannel c = channel(options().defaultDeadline(Duration.ofSeconds(5)));
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ConverseRequest> requests = ConversationServiceGrpc.newStub(c).chat(new StreamObserver<>() {
      @Override public void onNext(ConverseEvent e) {}
      @Override public void onError(Throwable t) { done.countDown(); }
      @Override public void onCompleted() { done.countDown(); }
    });
    requests.onCompleted();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(attempts.get("Chat")).hasValue(1);
    assertThat(lastDeadline.get()).isNull();
  }

  @Test
  void credentialsPriorityAndExtraInterceptorsReachTheServer() {
    ClientInterceptor tag = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
          CallOptions callOptions, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            headers.put(TAG, "from-the-app");
            super.start(listener, headers);
          }
        };
      }
    };
    AtomicInteger tokens = new AtomicInteger();
    ManagedChannel c = channel(options().callCredentials(BearerToken.of(() -> "t" + tokens.incrementAndGet()))
        .priority(CallPriority.BATCH).intercept(tag));
    RecommendationServiceGrpc.RecommendationServiceBlockingStub stub = RecommendationServiceGrpc.newBlockingStub(c);
    stub.recommend(RecommendRequest.getDefaultInstance());
    assertThat(lastHeaders.get().get(AUTHORIZATION)).isEqualTo("Bearer t1");
    assertThat(lastHeaders.get().get(PRIORITY)).isEqualTo("batch");
    assertThat(lastHeaders.get().get(TAG)).isEqualTo("from-the-app");

    // the token is asked for again on each call, and a stub's own credentials win
    stub.recommend(RecommendRequest.getDefaultInstance());
    assertThat(lastHeaders.get().get(AUTHORIZATION)).isEqualTo("Bearer t2");
    stub.withCallCredentials(BearerToken.of(() -> "mine")).recommend(RecommendRequest.getDefaultInstance());
    assertThat(lastHeaders.get().get(AUTHORIZATION)).isEqualTo("Bearer mine");
  }

  @Test
  void aCallWhoseTokenIsMissingFailsUnauthenticatedAndIsNotSent() {
    ManagedChannel c = channel(options().callCredentials(BearerToken.of(() -> " ")));
    assertThatThrownBy(() -> RecommendationServiceGrpc.newBlockingStub(c).recommend(RecommendRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).isEqualTo("bearer token: blank (expected: a token from the supplier)");
        });
    assertThat(attempts).doesNotContainKey("Recommend");
  }

  @Test
  void aBearerTokenIsNotSentInTheClearUnlessAllowed() {
    AtomicReference<Status> failed = new AtomicReference<>();
    AtomicReference<Metadata> applied = new AtomicReference<>();
    CallCredentials.MetadataApplier applier = new CallCredentials.MetadataApplier() {
      @Override public void apply(Metadata headers) { applied.set(headers); }
      @Override public void fail(Status status) { failed.set(status); }
    };
    BearerToken.of(() -> "secret").applyRequestMetadata(plaintext(), Runnable::run, applier);
    assertThat(failed.get().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(failed.get().getDescription()).startsWith("bearer token: not sent over a channel with security NONE");
    assertThat(applied.get()).isNull();

    BearerToken.overPlaintext(() -> "secret").applyRequestMetadata(plaintext(), Runnable::run, applier);
    assertThat(applied.get().get(AUTHORIZATION)).isEqualTo("Bearer secret");
  }

  private static CallCredentials.RequestInfo plaintext() {
    return new CallCredentials.RequestInfo() {
      @Override public MethodDescriptor<?, ?> getMethodDescriptor() { return RecommendationServiceGrpc.getRecommendMethod(); }
      @Override public SecurityLevel getSecurityLevel() { return SecurityLevel.NONE; }
      @Override public String getAuthority() { return "junction:8500"; }
      @Override public io.grpc.Attributes getTransportAttrs() { return io.grpc.Attributes.EMPTY; }
    };
  }

  private final class Recommendations extends RecommendationServiceGrpc.RecommendationServiceImplBase {
    @Override
    public void recommend(RecommendRequest request, StreamObserver<RecommendResponse> out) {
      if (recommendFailures.getAndDecrement() > 0) {
        out.onError(Status.UNAVAILABLE.withDescription("replica going away").asRuntimeException());
        return;
      }
      out.onNext(RecommendResponse.newBuilder().addItems(ScoredItem.newBuilder().setItemId(request.getUserId())).build());
      out.onCompleted();
    }
  }

  private final class Conversations extends ConversationServiceGrpc.ConversationServiceImplBase {
    @Override
    public void converse(ConverseRequest request, StreamObserver<ConverseResponse> out) {
      if (converseFailures.getAndDecrement() > 0) {
        out.onError(Status.UNAVAILABLE.withDescription("lost after the turn ran").asRuntimeException());
        return;
      }
      out.onNext(ConverseResponse.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public StreamObserver<ConverseRequest> chat(StreamObserver<ConverseEvent> out) {
      return new StreamObserver<>() {
        @Override public void onNext(ConverseRequest r) {}
        @Override public void onError(Throwable t) {}
        @Override public void onCompleted() { out.onCompleted(); }
      };
    }
  }

  private static final class Workers extends WorkerControlGrpc.WorkerControlImplBase {
    @Override
    public void stats(StatsRequest request, StreamObserver<StatsResponse> out) {
      out.onNext(StatsResponse.getDefaultInstance());
      out.onCompleted();
    }
  }
}
