package io.junction.workers.runtime;

/** The device the worker was asked for is not there, and falling back was not allowed. */
public class DeviceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message) {
    super(message);
  }
}
