package io.junction.orchestrator.admission;

import io.grpc.Context;
import java.util.Locale;
import java.util.Optional;

/**
 * A request's class of service: interactive work (a person waits for it) is admitted from a
 * reserve batch work cannot take, and goes first in a pool's queue; batch work is shed first.
 * A client names it in the {@value #HEADER} metadata; a pipeline's config gives the default.
 * The class a request runs under travels in its gRPC {@link Context}, so that each of its steps
 * reaches the pool's queue with it.
 */
public enum Priority {
  INTERACTIVE,
  BATCH;

  /** The metadata key a client sets to {@code interactive} or {@code batch}. */
  public static final String HEADER = "junction-priority";

  private static final Context.Key<Priority> KEY = Context.key(HEADER);

  /** The value a client writes: {@code interactive} or {@code batch}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The priority a header or config value names, or empty for anything else (case matters not). */
  public static Optional<Priority> parse(String value) {
    for (Priority p : values()) {
      if (p.wireName().equalsIgnoreCase(value)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** What a value that does not parse is told it should have been. */
  public static String expected() {
    return "interactive or batch";
  }

  /** The priority the current request runs under, if one was set (by the client or by admission). */
  public static Optional<Priority> current() {
    return Optional.ofNullable(KEY.get());
  }

  /** The priority of the current request, interactive when none was set (work that did not come through the door). */
  public static Priority currentOrInteractive() {
    return currentOrInteractive(Context.current());
  }

  /** The priority {@code context} carries, interactive when it carries none. */
  public static Priority currentOrInteractive(Context context) {
    Priority p = KEY.get(context);
    return p == null ? INTERACTIVE : p;
  }

  /** {@code context} carrying this priority. */
  public Context in(Context context) {
    return KEY.get(context) == this ? context : context.withValue(KEY, this);
  }
}
