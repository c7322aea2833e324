package io.junction.orchestrator.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.DrainReplicaResponse;
import io.junction.proto.v1.ListPipelinesResponse;
import io.junction.proto.v1.ListPoolsResponse;
import io.junction.proto.v1.PipelineInfo;
import io.junction.proto.v1.PoolDiscovery;
import io.junction.proto.v1.PoolInfo;
import io.junction.proto.v1.PoolScaling;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.ReplicaInfo;
import io.junction.proto.v1.ScoredItem;
import io.junction.proto.v1.SegmentInfo;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How responses look: JSON for machines, short text for people. Pure functions, so tests read them directly. */
final class Output {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().includingDefaultValueFields();
  private static final JsonFormat.Printer JSON_LINE = JSON.omittingInsignificantWhitespace();

  private Output() {}

  static String json(MessageOrBuilder message) {
    return print(JSON, message);
  }

  private static String print(JsonFormat.Printer printer, MessageOrBuilder message) {
    try {
      return printer.print(message);
    } catch (InvalidProtocolBufferException e) {
      // only for Any fields with unknown types, which our responses do not have
      throw new IllegalStateException(e);
    }
  }

  /** One message on one line: for streams, where each event is printed as it comes. */
  static String jsonLine(MessageOrBuilder message) {
    return print(JSON_LINE, message);
  }

  /**
   * One event of a streamed turn, to print as it comes: together they read
   * {@code intent: book_flight (0.97)}, then {@code reply: sure , where?} with one token added at a time.
   */
  static String chat(ConverseEvent e) {
    return switch (e.getEventCase()) {
      case INTENT -> "intent: " + e.getIntent().getIntent() + " ("
          + String.format(Locale.ROOT, "%.2f", e.getIntent().getConfidence()) + ")\nreply:";
      case TOKEN -> " " + e.getToken();
      // A sampled reply names its seed, so that it can be asked for again (chat --seed).
      case DONE -> e.getDone().getSeed() == 0 ? "\n" : "\nseed: " + Long.toUnsignedString(e.getDone().getSeed()) + "\n";
      default -> "";
    };
  }

  static String recommend(RecommendResponse r) {
    Table t = new Table("RANK", "ITEM", "SCORE");
    int rank = 1;
    for (ScoredItem item : r.getItemsList()) {
      t.row(Integer.toString(rank++), Long.toString(item.getItemId()), String.format(Locale.ROOT, "%.4f", item.getScore()));
    }
    return t.render();
  }

  static String status(ListPoolsResponse r) {
    if (r.getPoolsCount() == 0) {
      return "no pools\n";
    }
    StringBuilder out = new StringBuilder();
    for (PoolInfo p : r.getPoolsList()) {
      long ready = p.getReplicasList().stream().filter(x -> x.getState().equals("READY") && !x.getEjected()).count();
      // Affinity only when a pool has one: "none" on every other line would say nothing.
      String affinity = p.getAffinity().isEmpty() || p.getAffinity().equals("none") ? ""
          : ", affinity: " + p.getAffinity();
      out.append("pool ").append(p.getName()).append(" (").append(p.getKind()).append(", ").append(p.getDevice())
          .append(affinity).append("): ").append(ready).append('/').append(p.getReplicasCount()).append(" ready; models: ")
          .append(String.join(", ", p.getModelsList()))
          .append(p.getQueued() == 0 ? "" : "; " + p.getQueued() + " calls queued").append('\n');
      if (p.hasScaling()) {
        out.append("  ").append(scaling(p.getScaling(), p.getReplicasCount())).append('\n');
      }
      if (p.hasDiscovery()) {
        out.append("  ").append(discovery(p.getDiscovery())).append('\n');
      }
      Table t = new Table("REPLICA", "STATE", "PID", "ENDPOINT", "SOCKET", "DEVICE", "CPUS", "IN FLIGHT", "RESTARTS",
          "LAST ERROR");
      for (ReplicaInfo x : p.getReplicasList()) {
        t.row(x.getId(), x.getState() + (x.getEjected() ? " (ejected)" : ""),
            x.getPid() == 0 ? "-" : Long.toString(x.getPid()), x.getEndpoint(),
            x.getSocket().isEmpty() ? "-" : x.getSocket(),
            x.getDevice().isEmpty() ? "-" : x.getDevice(), x.getCpus().isEmpty() ? "-" : x.getCpus(),
            Integer.toString(x.getInFlight()), Integer.toString(x.getRestarts()), x.getLastError());
      }
      t.renderTo(out, "  ");
      for (ReplicaInfo x : p.getReplicasList()) {
        if (!x.getEjection().isEmpty()) {
          out.append("  ").append(x.getId()).append(x.getEjected() ? " ejected: " : ": ").append(x.getEjection())
              .append('\n');
        }
      }
    }
    return out.toString();
  }

  /** An autoscaled pool's line: its count between its bounds, and the last decision with its time (UTC) and reason. */
  static String scaling(PoolScaling s, int replicas) {
    String line = "autoscaling: " + replicas + " replica(s), min " + s.getMinReplicas() + ", max " + s.getMaxReplicas();
    if (s.getLastDecision().isEmpty()) {
      return line + "; no change decided yet";
    }
    return line + "; last decision " + s.getLastDecision() + " at "
        + Instant.ofEpochMilli(s.getLastDecisionUnixMs()).truncatedTo(ChronoUnit.SECONDS)
        + ": " + s.getLastReason();
  }

  /** A dns pool's line: its service, the addresses it resolved to, and the last lookup when it found none. */
  static String discovery(PoolDiscovery d) {
    String line = "service: " + d.getService() + " -> " + (d.getAddressesCount() == 0 ? "no address yet"
        : String.join(", ", d.getAddressesList())) + " (looked up every " + d.getResolveIntervalMs() + " ms";
    if (d.getLastLookup().equals("failed") || d.getLastLookup().equals("empty")) {
      line += "; last lookup " + d.getLastLookup() + " at "
          + Instant.ofEpochMilli(d.getLastLookupUnixMs()).truncatedTo(ChronoUnit.SECONDS) + ": " + d.getLastError()
          + "; members kept";
    }
    return line + (d.getFailedLookups() + d.getEmptyLookups() == 0 ? ""
        : "; " + d.getFailedLookups() + " failed and " + d.getEmptyLookups() + " empty lookup(s) so far") + ")";
  }

  static String drain(DrainReplicaResponse r) {
    return "replica " + r.getReplica().getId() + " of pool " + r.getPool() + ": " + r.getReplica().getState()
        + " (out of routing; its " + r.getReplica().getInFlight() + " call(s) in flight finish, then "
        + (r.getReplaced() ? "a fresh worker replaces it" : "it leaves the pool") + ")\n";
  }

  /** Each pipeline's fused segments: which steps run in one worker call, in which pool. */
  static String pipelines(ListPipelinesResponse r) {
    StringBuilder out = new StringBuilder();
    for (PipelineInfo p : r.getPipelinesList()) {
      if (p.getSegmentsCount() == 0) {
        out.append("pipeline ").append(p.getName()).append(": no fused segment; steps one call each: ")
            .append(String.join(", ", p.getStepsList())).append('\n');
        continue;
      }
      out.append("pipeline ").append(p.getName()).append(": ").append(p.getSegmentsCount())
          .append(p.getSegmentsCount() == 1 ? " fused segment" : " fused segments").append('\n');
      Table t = new Table("SEGMENT", "POOL", "STEPS");
      for (SegmentInfo s : p.getSegmentsList()) {
        t.row(s.getId(), s.getPool(), String.join(", ", s.getStepsList()));
      }
      t.renderTo(out, "  ");
    }
    return out.toString();
  }

  /** {@code status --json}: the pools as ListPools answers them, and the pipelines as ListPipelines does. */
  static String statusJson(ListPoolsResponse pools, ListPipelinesResponse pipelines) {
    JsonObject out = JsonParser.parseString(json(pools)).getAsJsonObject();
    out.add("pipelines", JsonParser.parseString(json(pipelines)).getAsJsonObject().get("pipelines"));
    return new GsonBuilder().setPrettyPrinting().create().toJson(out);
  }

  /** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      rows.add(header);
    }

    void row(String... cells) {
      rows.add(cells);
    }

    String render() {
      StringBuilder out = new StringBuilder();
      renderTo(out, "");
      return out.toString();
    }

    void renderTo(StringBuilder out, String indent) {
      int[] widths = new int[rows.get(0).length];
      for (String[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          widths[i] = Math.max(widths[i], r[i].length());
        }
      }
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < r.length; i++) {
          line.append(r[i]);
          if (i < r.length - 1) {
            line.append(" ".repeat(widths[i] - r[i].length() + 2));
          }
        }
        out.append(line.toString().stripTrailing()).append('\n');
      }
    }
  }
}
