package io.junction.orchestrator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.RunPipelineResponse;
import io.junction.proto.v1.StepTiming;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Session affinity with real workers: a conversation pool of two replicas with
 * {@code affinity: session}, called through PipelineService.Run with session ids. The fused chat
 * segment reports the replica it ran on, so every answer says where its session went. One
 * orchestrator for the class; the methods run in order and share what the first one saw.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionAffinityTest {
  private static final String POOL = "conversation";
  private static final List<String> SESSIONS = IntStream.range(0, 8).mapToObj(i -> "user-" + i).toList();
  private static final int CALLS_PER_SESSION = 4;

  private static OrchestratorProcess orchestrator;
  /** Where each session's calls went while both replicas were READY. */
  private static final Map<String, String> home = new LinkedHashMap<>();
  /** The replica killed, and its pid then. */
  private static String victim;
  private static long victimPid;

  @BeforeAll
  static void start() throws Exception {
    String config = """
        server: {host: 127.0.0.1, port: ${port}, http_port: ${http_port}}
        repository: ${repository}
        pools:
          - name: conversation
            models: [featurizer, intent, responder]
            replicas: 2
            affinity: session
            jvm_options: [-Xmx384m]
        pipelines:
        """ + OrchestratorProcess.CHAT_PIPELINE.formatted("", "fuse: true");
    orchestrator = OrchestratorProcess.start("affinity", config);
    orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() throws Exception {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static RunPipelineResponse chat(String session, String text) {
    Tensor t = Tensor.ofStrings("text", new long[] {1}, List.of(text));
    RunPipelineRequest.Builder request = RunPipelineRequest.newBuilder().setPipeline("chat")
        .addInputs(TensorCodec.toRawInputHeader(t)).addRawInputContents(t.data());
    if (session != null) {
      request.setSessionId(session);
    }
    return PipelineServiceGrpc.newBlockingStub(orchestrator.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .run(request.build());
  }

  /** The replica the call's fused segment ran on: every step of it says the same one. */
  private static String ranOn(RunPipelineResponse r) {
    Set<String> where = r.getStepsList().stream().map(StepTiming::getRanOn).collect(Collectors.toSet());
    assertThat(where).as("the chat pipeline runs as one fused segment, on one replica").hasSize(1);
    return where.iterator().next();
  }

  private static PoolInfo pool(ListPoolsResponse r) {
    return r.getPoolsList().stream().filter(p -> p.getName().equals(POOL)).findFirst().orElseThrow();
  }

  private static ReplicaInfo replica(ListPoolsResponse r, String id) {
    return pool(r).getReplicasList().stream().filter(x -> x.getId().equals(id)).findFirst().orElseThrow();
  }

  private static boolean victimReady() {
    return replica(orchestrator.admin().listPools(ListPoolsRequest.getDefaultInstance()), victim)
        .getState().equals("READY");
  }

  @Test
  @Order(1)
  void everyCallOfASessionRunsOnOneReplicaAndTheSessionsSpreadOverBoth() throws Exception {
    ListPoolsResponse pools = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(30));
    assertThat(pool(pools).getAffinity()).isEqualTo("session");
    assertThat(pool(pools).getReplicasList()).extracting(ReplicaInfo::getId)
        .containsExactly("conversation-0", "conversation-1");

    String[] texts = {"I want to book a flight to Paris", "hello", "what is the weather like tomorrow", "thanks"};
    for (String session : SESSIONS) {
      for (int i = 0; i < CALLS_PER_SESSION; i++) {
        String where = ranOn(chat(session, texts[i % texts.length]));
        String before = home.putIfAbsent(session, where);
        assertThat(where).as("call %d of session %s", i + 1, session).isEqualTo(before == null ? where : before);
      }
    }
    assertThat(Set.copyOf(home.values())).as("sessions per replica: " + home)
        .containsExactlyInAnyOrder("conversation-0", "conversation-1");
    // A call without a session is served too (least outstanding requests).
    assertThat(ranOn(chat(null, "hello"))).startsWith("conversation-");
  }

  @Test
  @Order(2)
  void whileASessionsReplicaIsDownItsCallsGoToTheOtherAndTheOtherSessionsStay() throws Exception {
    assertThat(home).as("the first test's placement").hasSize(SESSIONS.size());
    victim = home.get(SESSIONS.get(0));
    String survivor = victim.equals("conversation-0") ? "conversation-1" : "conversation-0";
    List<String> moved = SESSIONS.stream().filter(s -> home.get(s).equals(victim)).toList();
    List<String> stayed = SESSIONS.stream().filter(s -> home.get(s).equals(survivor)).toList();

    ListPoolsResponse before = orchestrator.awaitPools(OrchestratorProcess::allReady, Duration.ofSeconds(30));
    victimPid = replica(before, victim).getPid();
    assertThat(victimPid).isPositive();
    ProcessHandle.of(victimPid).orElseThrow().destroyForcibly();
    orchestrator.awaitPools(r -> !replica(r, victim).getState().equals("READY"), Duration.ofSeconds(30));

    // Judge a call only when the killed replica was down both before and after it. Its
    // replacement takes seconds to load and warm up; these calls take milliseconds.
    int judged = 0;
    rounds:
    for (int round = 0; round < 3; round++) {
      for (String session : concat(moved, stayed)) {
        if (victimReady()) {
          break rounds;
        }
        String where = ranOn(chat(session, "book a table for two"));
        if (victimReady()) {
          break rounds;
        }
        // The killed replica's sessions moved to the survivor; the survivor's own did not move.
        assertThat(where).as("session %s (home %s, %s down)", session, home.get(session), victim)
            .isEqualTo(survivor);
        judged++;
      }
    }
    assertThat(judged).as("calls made while " + victim + " was down (it came back before they could be made)")
        .isGreaterThanOrEqualTo(moved.size() + stayed.size());
  }

  @Test
  @Order(3)
  void whenTheReplacementIsReadyTheSessionsGoBackToIt() throws Exception {
    assertThat(victim).as("the second test killed a replica").isNotNull();
    orchestrator.awaitPools(r -> OrchestratorProcess.allReady(r) && replica(r, victim).getPid() != victimPid,
        Duration.ofSeconds(180));
    for (String session : SESSIONS) {
      assertThat(ranOn(chat(session, "hello again"))).as(session).isEqualTo(home.get(session));
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }
}
