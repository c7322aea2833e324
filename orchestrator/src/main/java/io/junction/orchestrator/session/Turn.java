package io.junction.orchestrator.session;

import java.util.Objects;

/** One turn of a conversation: what the user said, the intent found in it and the reply given. */
public record Turn(String text, String intent, String reply) {
  public Turn {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(intent, "intent");
    Objects.requireNonNull(reply, "reply");
  }
}
