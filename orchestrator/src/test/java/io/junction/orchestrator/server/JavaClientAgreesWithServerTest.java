package io.junction.orchestrator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.junction.client.CallPriority;
import io.junction.client.JunctionClientOptions;
import io.junction.orchestrator.admission.Priority;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The Java client helper lives in the proto artifact, which cannot see the orchestrator: what
 * it copies of the server (the keepalive floor, the priority header and its values) is checked
 * against the server's own constants here.
 */
class JavaClientAgreesWithServerTest {

  @Test
  void theClientsKeepaliveFloorIsTheServersPermittedInterval() {
    assertThat(JunctionClientOptions.SERVER_KEEPALIVE_MIN).isEqualTo(Duration.ofSeconds(JunctionServer.KEEPALIVE_MIN_SECONDS));
  }

  @Test
  void theClientsPriorityHeaderAndValuesAreTheOnesAdmissionReads() {
    assertThat(CallPriority.HEADER).isEqualTo(Priority.HEADER);
    assertThat(Arrays.stream(CallPriority.values()).map(CallPriority::wireName))
        .containsExactlyElementsOf(Arrays.stream(Priority.values()).map(Priority::wireName).toList());
    for (CallPriority p : CallPriority.values()) {
      assertThat(Priority.parse(p.wireName())).isPresent();
    }
  }
}
