package io.junction.client;

import java.util.Locale;

/**
 * The class of service a client asks for in the {@value #HEADER} metadata: the orchestrator
 * admits interactive work from a reserve batch work cannot take, and sheds batch work first.
 * Without the header a call runs at its pipeline's configured priority.
 */
public enum CallPriority {
  INTERACTIVE,
  BATCH;

  /** The metadata key the orchestrator reads (its {@code admission.Priority.HEADER}). */
  public static final String HEADER = "junction-priority";

  /** The value sent in the header: {@code interactive} or {@code batch}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
