package io.junction.workers.repository;

import java.nio.file.Path;

/**
 * A model's {@code model.yaml} (or its folder) is not what the repository format asks for.
 * The message names the file, the path inside it, the value found and what was expected, so
 * that whoever wrote the file can fix it without reading code. Restarting does not help.
 */
public class ModelConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public ModelConfigException(Path file, String message) {
    super(file + ": " + message);
    this.file = file;
  }

  public ModelConfigException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
  }

  /** The file (or folder) at fault. */
  public Path file() {
    return file;
  }
}
