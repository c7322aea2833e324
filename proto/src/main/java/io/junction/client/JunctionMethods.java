package io.junction.client;

import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RecommendationServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The public methods of the orchestrator a client helper knows, with what the helper assumes of
 * each: whether a retry after {@code UNAVAILABLE} is safe, and how long a call may take when its
 * caller sets no deadline. Worker-only services (WorkerControl, SegmentService) are not here:
 * clients do not call them.
 *
 * <p>Idempotent: Recommend, PipelineService.Run, ModelInfer (the models and pipelines are pure
 * functions of their inputs), the Open Inference Protocol's health and metadata calls, the
 * admin listings and the gRPC health check. Not idempotent: Converse and its streams, because a
 * turn that names a session appends to that session's history on the server; an
 * {@code UNAVAILABLE} may come after the orchestrator ran the turn (the connection dropped on the
 * way back), and a retry would add the turn twice. EndSession and DrainReplica change state too.
 */
final class JunctionMethods {
  /** A method as the service config names it, and what the helper assumes of it. */
  record Method(String service, String name, MethodType type, boolean idempotent, Optional<Duration> timeout) {
    String fullName() {
      return service + "/" + name;
    }
  }

  /** The standard gRPC health service (grpc-services), which the orchestrator also serves. */
  static final String HEALTH = "grpc.health.v1.Health";

  private static final Set<String> IDEMPOTENT = Set.of(
      "junction.v1.RecommendationService/Recommend",
      "junction.v1.PipelineService/Run",
      "inference.GRPCInferenceService/ServerLive",
      "inference.GRPCInferenceService/ServerReady",
      "inference.GRPCInferenceService/ModelReady",
      "inference.GRPCInferenceService/ServerMetadata",
      "inference.GRPCInferenceService/ModelMetadata",
      "inference.GRPCInferenceService/ModelInfer",
      "junction.v1.AdminService/ListPools",
      "junction.v1.AdminService/ListPipelines",
      "junction.v1.AdminService/ListModels",
      "junction.v1.AdminService/ListSessions",
      HEALTH + "/Check");

  /**
   * Default timeouts by service, then by method (a method's wins). Bidirectional streams (Chat,
   * ModelStreamInfer) and the health Watch have none: they are meant to stay open.
   */
  private static final Map<String, Duration> DEFAULT_TIMEOUTS = Map.ofEntries(
      Map.entry("junction.v1.RecommendationService", Duration.ofSeconds(5)),
      Map.entry("junction.v1.ConversationService/Converse", Duration.ofSeconds(30)),
      Map.entry("junction.v1.ConversationService/ConverseStream", Duration.ofSeconds(60)),
      Map.entry("junction.v1.PipelineService", Duration.ofSeconds(30)),
      Map.entry("inference.GRPCInferenceService", Duration.ofSeconds(5)),
      Map.entry("inference.GRPCInferenceService/ModelInfer", Duration.ofSeconds(10)),
      Map.entry("junction.v1.AdminService", Duration.ofSeconds(10)),
      Map.entry(HEALTH + "/Check", Duration.ofSeconds(5)));

  private static final List<Method> ALL = build();

  private JunctionMethods() {}

  /** Every known method with its default timeout, in a stable order. */
  static List<Method> all() {
    return ALL;
  }

  private static List<Method> build() {
    List<Method> methods = new ArrayList<>();
    for (ServiceDescriptor s : List.of(ConversationServiceGrpc.getServiceDescriptor(),
        RecommendationServiceGrpc.getServiceDescriptor(), PipelineServiceGrpc.getServiceDescriptor(),
        GRPCInferenceServiceGrpc.getServiceDescriptor(), AdminServiceGrpc.getServiceDescriptor())) {
      for (io.grpc.MethodDescriptor<?, ?> m : s.getMethods()) {
        methods.add(method(s.getName(), m.getBareMethodName(), m.getType(), DEFAULT_TIMEOUTS));
      }
    }
    methods.add(method(HEALTH, "Check", MethodType.UNARY, DEFAULT_TIMEOUTS));
    methods.add(method(HEALTH, "Watch", MethodType.SERVER_STREAMING, DEFAULT_TIMEOUTS));
    return List.copyOf(methods);
  }

  /** The methods with their timeouts overridden by {@code timeouts} (keyed by service or service/method). */
  static List<Method> withTimeouts(Map<String, Duration> timeouts) {
    Map<String, Duration> merged = new LinkedHashMap<>(DEFAULT_TIMEOUTS);
    // a service-wide override replaces the defaults of that service's methods too
    for (String key : timeouts.keySet()) {
      if (!key.contains("/")) {
        merged.keySet().removeIf(k -> k.startsWith(key + "/"));
      }
    }
    merged.putAll(timeouts);
    return all().stream().map(m -> method(m.service(), m.name(), m.type(), merged)).toList();
  }

  /** Whether {@code name} is a known service or service/method, as a timeout key must be. */
  static boolean known(String name) {
    return all().stream().anyMatch(m -> m.service().equals(name) || m.fullName().equals(name));
  }

  private static Method method(String service, String name, MethodType type, Map<String, Duration> timeouts) {
    String full = service + "/" + name;
    // a service's timeout covers its unary and server-streaming methods only: a stream the
    // client also writes to (Chat, ModelStreamInfer) is a session, timed only when named itself
    boolean bounded = type == MethodType.UNARY || type == MethodType.SERVER_STREAMING;
    Duration timeout = timeouts.containsKey(full) ? timeouts.get(full) : bounded ? timeouts.get(service) : null;
    return new Method(service, name, type, IDEMPOTENT.contains(full), Optional.ofNullable(timeout));
  }
}
