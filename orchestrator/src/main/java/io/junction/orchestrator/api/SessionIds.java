package io.junction.orchestrator.api;

import java.util.regex.Pattern;

/** The one rule for a session id, for every service that takes one. */
final class SessionIds {
  private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final String RULE = "1 to 128 characters of [A-Za-z0-9._:-]";

  private SessionIds() {}

  /** An id that may be left empty (no session), else must follow the rule. */
  static void checkOptional(String id) {
    if (!id.isEmpty()) {
      checkRequired(id);
    }
  }

  static void checkRequired(String id) {
    if (id.isEmpty()) {
      throw new InvalidRequestException("session_id: empty (expected: " + RULE + ")");
    }
    if (SESSION_ID.matcher(id).matches()) {
      return;
    }
    String shown = id.length() > 40 ? id.substring(0, 40) + "... (" + id.length() + " characters)" : id;
    throw new InvalidRequestException("session_id: \"" + shown + "\" (expected: " + RULE + ")");
  }
}
