package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnnouncementTest {

  @Test
  void readyCarriesPortPidDeviceCpusAndModels() {
    assertThat(Announcement.parse("JUNCTION_WORKER_READY {\"port\":40123,\"pid\":4242,\"device\":\"cpu\","
        + "\"requested_device\":\"gpu:0\",\"fell_back\":true,\"cpus\":\"0-1\",\"models\":[\"a\",\"b\"]}"))
        .contains(new Announcement.Ready(40123, 4242, "cpu", "gpu:0", true, "0-1", List.of("a", "b")));
  }

  @Test
  void readyWithOnlyAPortLeavesTheRestUnknown() {
    assertThat(Announcement.parse("JUNCTION_WORKER_READY {\"port\":1}"))
        .contains(new Announcement.Ready(1, 0, "", "", false, "", List.of()));
  }

  @Test
  void failedCarriesTheWorkersReason() {
    assertThat(Announcement.parse("JUNCTION_WORKER_FAILED {\"reason\":\"device: gpu:0 (expected: a GPU; none found)\"}"))
        .contains(new Announcement.Failed("device: gpu:0 (expected: a GPU; none found)"));
  }

  @Test
  void ordinaryLogLinesAreNotAnnouncements() {
    assertThat(Announcement.parse("12:00:01 INFO loading model a")).isEmpty();
    assertThat(Announcement.parse("JUNCTION_WORKER_READYX {\"port\":1}")).isEmpty();
    assertThat(Announcement.parse("")).isEmpty();
  }

  @Test
  void anAnnouncementThatCannotBeReadSaysWhy() {
    assertThat(Announcement.parse("JUNCTION_WORKER_READY {\"pid\":3}"))
        .hasValueSatisfying(a -> assertThat(a).isInstanceOfSatisfying(Announcement.Malformed.class,
            m -> assertThat(m.problem()).startsWith("port: missing")));
    assertThat(Announcement.parse("JUNCTION_WORKER_READY {\"port\":70000}"))
        .hasValueSatisfying(a -> assertThat(a).isInstanceOfSatisfying(Announcement.Malformed.class,
            m -> assertThat(m.problem()).isEqualTo("port: 70000 (expected: 1..65535)")));
    assertThat(Announcement.parse("JUNCTION_WORKER_READY {port"))
        .hasValueSatisfying(a -> assertThat(a).isInstanceOf(Announcement.Malformed.class));
    assertThat(Announcement.parse("JUNCTION_WORKER_FAILED [1]"))
        .hasValueSatisfying(a -> assertThat(a).isInstanceOfSatisfying(Announcement.Malformed.class,
            m -> assertThat(m.problem()).isEqualTo("not a JSON object")));
  }
}
