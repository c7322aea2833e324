package io.junction.workers.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes DJL's TensorFlow engine start offline.
 *
 * <p>The native jar on the class path ({@code tensorflow-native-cpu:2.10.1}) says it is a
 * {@code cu113} build, so DJL ignores it on a machine without CUDA and tries to download a
 * library at run time. We extract its {@code native/lib/*} once into a cache directory and
 * point {@code TENSORFLOW_LIBRARY_PATH} at it before the engine starts. Extraction goes to a
 * temporary sibling directory that is renamed into place, so concurrent workers never see a
 * half-written library.
 *
 * <p>Must be called before anything touches {@code ai.djl.engine.Engine} or
 * {@code org.tensorflow}; it does no model work itself.
 */
public final class TensorFlowNatives {
  private static final Logger log = LoggerFactory.getLogger(TensorFlowNatives.class);
  private static final String PROPERTIES = "native/lib/tensorflow.properties";

  private static volatile Path libraryDir;

  private TensorFlowNatives() {}

  /** Extracts the native library if needed, configures DJL, and returns the library folder. */
  public static synchronized Path ensureConfigured() {
    if (libraryDir != null) {
      return libraryDir;
    }
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    String preset = firstNonBlank(
        System.getProperty("TENSORFLOW_LIBRARY_PATH"), System.getenv("TENSORFLOW_LIBRARY_PATH"));
    Path dir;
    if (preset != null) {
      dir = Path.of(preset);
    } else {
      dir = extractFromClassPath(cacheRoot());
    }
    System.setProperty("TENSORFLOW_LIBRARY_PATH", dir.toString());
    libraryDir = dir;
    return dir;
  }

  /** {@code $JUNCTION_CACHE}, else {@code $XDG_CACHE_HOME/junction}, else {@code ~/.cache/junction}. */
  public static Path cacheRoot() {
    String explicit = firstNonBlank(System.getProperty("junction.cache"), System.getenv("JUNCTION_CACHE"));
    if (explicit != null) {
      return Path.of(explicit);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "junction");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "junction");
  }

  private static Path extractFromClassPath(Path cacheRoot) {
    ClassLoader loader = TensorFlowNatives.class.getClassLoader();
    Properties props = new Properties();
    try (InputStream in = loader.getResourceAsStream(PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(
            "TensorFlow native library not found on the class path (expected: "
                + "ai.djl.tensorflow:tensorflow-native-cpu:2.10.1:linux-x86_64, or "
                + "TENSORFLOW_LIBRARY_PATH set to a folder holding libtensorflow_cc.so.2)");
      }
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + PROPERTIES, e);
    }
    String version = props.getProperty("version", "unknown");
    List<String> libraries = List.of(props.getProperty("libraries", "").split(","));
    Path target = cacheRoot.resolve("tensorflow-" + version);
    if (isComplete(target, libraries)) {
      return target;
    }
    log.info("Extracting the TensorFlow {} native library to {} (once; about 20 s)", version, target);
    long start = System.nanoTime();
    try {
      Files.createDirectories(cacheRoot);
      Path tmp = Files.createTempDirectory(cacheRoot, ".tensorflow-" + version + "-");
      for (String lib : libraries) {
        URL url = loader.getResource("native/lib/" + lib.trim());
        if (url == null) {
          throw new IllegalStateException("native/lib/" + lib + " missing from the TensorFlow native jar");
        }
        try (InputStream in = url.openStream()) {
          Files.copy(in, tmp.resolve(lib.trim()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      // Written last: its presence marks a complete extraction.
      Files.writeString(tmp.resolve(".complete"), version);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
        // Another process won the race (or left a partial folder behind).
        if (!isComplete(target, libraries)) {
          deleteTree(target);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } else {
          deleteTree(tmp);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("extracting the TensorFlow native library to " + target, e);
    }
    log.info("TensorFlow native library ready in {} ms", (System.nanoTime() - start) / 1_000_000);
    return target;
  }

  private static boolean isComplete(Path dir, List<String> libraries) {
    if (!Files.isRegularFile(dir.resolve(".complete"))) {
      return false;
    }
    return libraries.stream().allMatch(l -> Files.isRegularFile(dir.resolve(l.trim())));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String firstNonBlank(String a, String b) {
    if (a != null && !a.isBlank()) {
      return a;
    }
    return (b != null && !b.isBlank()) ? b : null;
  }
}
