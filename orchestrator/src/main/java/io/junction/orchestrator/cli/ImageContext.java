package io.junction.orchestrator.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The build context of Junction's image (docker/Dockerfile), staged from the current build: the
 * orchestrator's classes and its runtime jars in lib/ (their class path order in lib/classpath,
 * as paths inside the image), the TensorFlow native library extracted in tensorflow/, the model
 * repository, and bin/ with the same launch scripts as the source tree's. Only what the image
 * needs is sent to the engine: not the Maven repository, and not the 465 MB TensorFlow native
 * jar, whose library is already extracted.
 *
 * <p>Files are hard-linked where the file system allows (the TensorFlow library alone is 1 GB),
 * else copied.
 */
final class ImageContext {
  /** Where the image keeps Junction (the Helm chart's commands and repository path assume it). */
  static final String HOME = "/opt/junction";
  static final String TENSORFLOW_JAR_PREFIX = "tensorflow-native-";
  private static final String NATIVE_DIR = "native/lib/";
  private static final List<String> SCRIPTS = List.of("junction", "junction-worker", "common.sh");

  /**
   * @param root the source tree (bin/ and docker/Dockerfile)
   * @param classes the orchestrator's compiled classes
   * @param classpath the runtime jars, in class path order (orchestrator/target/classpath.txt)
   * @param repository the model repository to carry
   * @param cache where the TensorFlow library is extracted once and kept between builds
   */
  record Sources(Path root, Path classes, List<Path> classpath, Path repository, Path cache) {
    Sources {
      classpath = List.copyOf(classpath);
    }
  }

  private ImageContext() {}

  /** Makes {@code dir} (emptied first) the build context; returns the TensorFlow jar it took the library from. */
  static Path stage(Sources s, Path dir) throws IOException {
    Path tensorflowJar = s.classpath().stream()
        .filter(p -> p.getFileName().toString().startsWith(TENSORFLOW_JAR_PREFIX))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("the class path has no " + TENSORFLOW_JAR_PREFIX
            + "*.jar (expected: ai.djl.tensorflow:tensorflow-native-cpu, a dependency of the workers)"));
    deleteTree(dir);
    Files.createDirectories(dir.resolve("lib"));
    List<String> entries = new ArrayList<>(List.of(HOME + "/classes"));
    Set<String> names = new HashSet<>();
    for (Path jar : s.classpath()) {
      if (jar.equals(tensorflowJar)) {
        continue;
      }
      String name = jar.getFileName().toString();
      if (!names.add(name)) {
        // two artifacts with one file name (one version, two groups): keep both, told apart by position
        name = entries.size() + "-" + name;
        names.add(name);
      }
      link(jar, dir.resolve("lib").resolve(name));
      entries.add(HOME + "/lib/" + name);
    }
    Files.writeString(dir.resolve("lib/classpath"), String.join(":", entries) + "\n");
    linkTree(s.classes(), dir.resolve("classes"));
    linkTree(s.repository(), dir.resolve("model-repository"));
    linkTree(extractTensorFlow(tensorflowJar, s.cache()), dir.resolve("tensorflow"));
    Files.createDirectories(dir.resolve("bin"));
    for (String script : SCRIPTS) {
      Files.copy(s.root().resolve("bin").resolve(script), dir.resolve("bin").resolve(script),
          StandardCopyOption.COPY_ATTRIBUTES);
    }
    Files.copy(s.root().resolve("docker/Dockerfile"), dir.resolve("Dockerfile"));
    return tensorflowJar;
  }

  /**
   * The jar's {@code native/lib/*} in {@code cache/<jar name>/}, extracted once: into a temporary
   * sibling renamed into place, so an interrupted extraction is never taken for a whole one.
   */
  static Path extractTensorFlow(Path jar, Path cache) throws IOException {
    String name = jar.getFileName().toString().replaceFirst("\\.jar$", "");
    Path target = cache.resolve(name);
    if (Files.isRegularFile(target.resolve(".complete"))) {
      return target;
    }
    Files.createDirectories(cache);
    Path tmp = Files.createTempDirectory(cache, "." + name + "-");
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (ZipEntry e : zip.stream().toList()) {
        String entry = e.getName();
        if (e.isDirectory() || !entry.startsWith(NATIVE_DIR) || entry.indexOf('/', NATIVE_DIR.length()) >= 0) {
          continue;
        }
        try (InputStream in = zip.getInputStream(e)) {
          Files.copy(in, tmp.resolve(entry.substring(NATIVE_DIR.length())));
        }
      }
    }
    Files.writeString(tmp.resolve(".complete"), jar.getFileName().toString());
    deleteTree(target);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }

  private static void linkTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else if (!p.getFileName().toString().equals(".complete")) {
          link(p, dest);
        }
      }
    }
  }

  private static void link(Path from, Path to) throws IOException {
    try {
      Files.createLink(to, from.toRealPath());
    } catch (FileSystemException | UnsupportedOperationException e) {
      // another file system, or one without hard links
      Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
