package io.junction.orchestrator.pool;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one-line announcements a worker prints on its standard output: the worker's side of
 * the launch contract.
 *
 * <pre>
 * JUNCTION_WORKER_READY {"port":P,"pid":PID,"device":"cpu","requested_device":"cpu","fell_back":false,"cpus":"0-1","models":["a","b"],"socket":"/tmp/x/p-0-1.sock"}
 * JUNCTION_WORKER_FAILED {"reason":"..."}     (then exit status 78)
 * </pre>
 */
sealed interface Announcement {
  String READY = "JUNCTION_WORKER_READY";
  String FAILED = "JUNCTION_WORKER_FAILED";
  /** EX_CONFIG from sysexits.h: the worker's configuration is wrong and a restart cannot fix it. */
  int CONFIG_ERROR_EXIT = 78;

  /** The worker serves on 127.0.0.1:{@code port}, and on the Unix socket {@code socket} unless it is empty. */
  record Ready(int port, long pid, String device, String requestedDevice, boolean fellBack, String cpus,
      List<String> models, String socket) implements Announcement {
    public Ready {
      models = List.copyOf(models);
    }

    /** A worker that listens on TCP only. */
    public Ready(int port, long pid, String device, String requestedDevice, boolean fellBack, String cpus,
        List<String> models) {
      this(port, pid, device, requestedDevice, fellBack, cpus, models, "");
    }
  }

  /** The worker cannot run as asked and is about to exit with {@link #CONFIG_ERROR_EXIT}. */
  record Failed(String reason) implements Announcement {}

  /** A line that starts like an announcement but cannot be read: the two sides disagree on the contract. */
  record Malformed(String line, String problem) implements Announcement {}

  /** The announcement on this line, or empty for an ordinary log line. */
  static Optional<Announcement> parse(String line) {
    String kind;
    if (line.startsWith(READY + " ")) {
      kind = READY;
    } else if (line.startsWith(FAILED + " ")) {
      kind = FAILED;
    } else {
      return Optional.empty();
    }
    String json = line.substring(kind.length() + 1).trim();
    try {
      JsonElement parsed = JsonParser.parseString(json);
      if (!parsed.isJsonObject()) {
        return Optional.of(new Malformed(line, "not a JSON object"));
      }
      JsonObject o = parsed.getAsJsonObject();
      if (kind.equals(FAILED)) {
        return Optional.of(new Failed(string(o, "reason", "(no reason given)")));
      }
      if (!o.has("port") || !o.get("port").isJsonPrimitive()) {
        return Optional.of(new Malformed(line, "port: missing (expected: the port the worker listens on)"));
      }
      int port = o.get("port").getAsInt();
      if (port < 1 || port > 65535) {
        return Optional.of(new Malformed(line, "port: " + port + " (expected: 1..65535)"));
      }
      List<String> models = new ArrayList<>();
      if (o.has("models") && o.get("models").isJsonArray()) {
        o.getAsJsonArray("models").forEach(e -> models.add(e.getAsString()));
      }
      return Optional.of(new Ready(
          port,
          o.has("pid") ? o.get("pid").getAsLong() : 0,
          string(o, "device", ""),
          string(o, "requested_device", ""),
          o.has("fell_back") && o.get("fell_back").getAsBoolean(),
          string(o, "cpus", ""),
          models,
          string(o, "socket", "")));
    } catch (JsonParseException | IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
      return Optional.of(new Malformed(line, "unreadable JSON: " + e.getMessage()));
    }
  }

  private static String string(JsonObject o, String key, String absent) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? absent : e.getAsString();
  }
}
