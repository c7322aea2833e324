package io.junction.orchestrator.config;

/**
 * The configuration file cannot be used. The message names the file, the path inside it and
 * what was expected, and the line when known:
 * {@code junction.yaml: pools[1].replicas: 0 (expected: >= 1) (line 12)}.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String file;
  private final String path;
  private final int line;

  ConfigException(String file, String path, String problem, int line) {
    super(file + ": " + (path.isEmpty() ? "" : path + ": ") + problem + (line > 0 ? " (line " + line + ")" : ""));
    this.file = file;
    this.path = path;
    this.line = line;
  }

  /** The file as it was named to the loader. */
  public String file() {
    return file;
  }

  /** Where in the file, like {@code pools[1].replicas}; empty for the whole file. */
  public String path() {
    return path;
  }

  /** 1-based line, or 0 when unknown. */
  public int line() {
    return line;
  }
}
