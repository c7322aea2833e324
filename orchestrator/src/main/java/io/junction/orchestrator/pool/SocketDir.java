package io.junction.orchestrator.pool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The private folder that holds the Unix sockets local workers listen on: made at the first
 * launch (owner-only, as {@link Files#createTempDirectory} makes it on POSIX), removed with
 * whatever is left in it when the pools close. One per {@link PoolSet}.
 */
final class SocketDir {
  /** sun_path holds 108 bytes with its terminating zero; a longer path cannot be bound. */
  static final int MAX_PATH_BYTES = 107;

  private static final Logger log = LoggerFactory.getLogger(SocketDir.class);

  private final boolean enabled;
  private final Path parent;
  // Guarded by this.
  private Path dir;
  private boolean closed;

  /**
   * @param enabled false when the transport has no Unix sockets: every worker is then reached over TCP
   * @param parent  where the folder is made (the system's temporary folder)
   */
  SocketDir(boolean enabled, Path parent) {
    this.enabled = enabled;
    this.parent = parent;
  }

  static SocketDir inTemp(boolean enabled) {
    return new SocketDir(enabled, Path.of(System.getProperty("java.io.tmpdir")));
  }

  /**
   * Where the worker of one launch listens: {@code <dir>/<name>.sock}, or empty when workers are
   * reached over TCP (no Unix sockets, a path too long to bind, or a folder that cannot be made).
   */
  synchronized Optional<Path> socketFor(String name) {
    if (!enabled || closed) {
      return Optional.empty();
    }
    try {
      if (dir == null) {
        dir = Files.createTempDirectory(parent, "junction-workers-");
      }
    } catch (IOException e) {
      log.warn("cannot make a folder for the workers' Unix sockets in {} ({}); reaching them over TCP", parent, e.toString());
      return Optional.empty();
    }
    Path p = dir.resolve(name + ".sock");
    if (p.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      log.warn("socket path {} is longer than {} bytes; reaching that worker over TCP", p, MAX_PATH_BYTES);
      return Optional.empty();
    }
    return Optional.of(p);
  }

  /** Removes a socket file that its worker left behind (a killed process does not remove it). */
  static void remove(Path socket) {
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", socket, e.toString());
    }
  }

  /** Removes the folder and anything in it; later {@link #socketFor} calls answer empty. */
  synchronized void close() {
    closed = true;
    if (dir == null) {
      return;
    }
    try (DirectoryStream<Path> left = Files.newDirectoryStream(dir)) {
      for (Path p : left) {
        remove(p);
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", dir, e.toString());
    }
    remove(dir);
  }
}
