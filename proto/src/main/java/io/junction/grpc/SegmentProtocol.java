package io.junction.grpc;

import io.grpc.Metadata;

/**
 * What the orchestrator and a worker agree on about fused segments beyond the messages of
 * {@code junction.v1.SegmentService}: how a worker says it runs them, and how it says a segment
 * failed inside it, in a step its engine has named in the status description (which the
 * orchestrator then passes on as it is), rather than on the way to it (a transport failure).
 */
public final class SegmentProtocol {
  /** The ServerMetadata extension of a server that runs segments; others get one ModelInfer a step. */
  public static final String EXTENSION = "junction_segments";

  /** Trailer of a RunSegment that failed inside the worker; its value is the plan id. */
  public static final Metadata.Key<String> KEY = Metadata.Key.of("junction-segment-failure", Metadata.ASCII_STRING_MARSHALLER);

  private SegmentProtocol() {}

  public static Metadata trailers(String planId) {
    Metadata m = new Metadata();
    m.put(KEY, planId);
    return m;
  }

  public static boolean isSegmentFailure(Metadata trailers) {
    return trailers != null && trailers.containsKey(KEY);
  }
}
