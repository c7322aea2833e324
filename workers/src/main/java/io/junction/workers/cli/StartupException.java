package io.junction.workers.cli;

/**
 * The worker cannot start. {@code permanent} when restarting with the same flags and repository
 * cannot help (exit status 78, EX_CONFIG), so that the launcher stops retrying.
 */
final class StartupException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean permanent;

  StartupException(String message, boolean permanent, Throwable cause) {
    super(message, cause);
    this.permanent = permanent;
  }

  boolean permanent() {
    return permanent;
  }
}
