package io.junction.engine;

/**
 * A fused segment failed inside its worker, whose engine already named the pipeline and the
 * step in {@link #getMessage()}. The cause is the transport's error, which decides the status
 * code. The run ends with this exception as it is, not wrapped again in a
 * {@link StepFailedException} naming the segment.
 */
public final class SegmentFailedException extends PipelineException {
  private static final long serialVersionUID = 1L;

  public SegmentFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
