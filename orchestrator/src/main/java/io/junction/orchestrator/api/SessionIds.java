package io.junction.orchestrator.api;

import java.util.regex.Pattern;

/**
 * The one check of a request's {@code session_id}, for every service that takes one
 * (ConverseRequest, RunPipelineRequest, EndSession): the same rule everywhere, so that an id one
 * service accepts names the same session in another (and routes alike in a pool with session
 * affinity).
 */
final class SessionIds {
  private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final String RULE = "1 to 128 characters of [A-Za-z0-9._:-]";

  private SessionIds() {}

  /**
   * Returns {@code id} when it is empty (no session) or a valid session id.
   *
   * @throws InvalidRequestException naming the field, the value (cut short when long) and the rule
   */
  static String check(String id) {
    if (!id.isEmpty()) {
      checkRequired(id);
    }
    return id;
  }

  /** As {@link #check}, for a request that must name a session. */
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
