package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The image's build context as `images build` stages it, and what it refuses; the real image is tested by ContainersIT. */
class ImagesCommandTest {
  @TempDir
  Path tmp;

  @Test
  void contextCarriesTheClassPathInOrderTheExtractedLibraryAndTheRepositoryButNotTheNativeJar() throws IOException {
    Path root = sourceTree();
    Path classes = Files.createDirectories(tmp.resolve("classes/io/junction"));
    Files.writeString(classes.resolve("A.class"), "a");
    Path guava = jar(tmp.resolve("m2/com/google/guava/33/guava-33.jar"), "x/Y.class", "y");
    Path tensorflow = jar(tmp.resolve("m2/ai/djl/tf/2.10.1/tensorflow-native-cpu-2.10.1-linux-x86_64.jar"),
        "native/lib/libtensorflow_cc.so.2", "cc", "native/lib/tensorflow.properties", "version=2.10.1",
        "META-INF/LICENSE", "license");
    Path otherGuava = jar(tmp.resolve("m2/other/guava/1.0/guava-33.jar"), "z/Z.class", "z");
    Path repository = Files.createDirectories(tmp.resolve("repo/featurizer/1"));
    Files.writeString(repository.resolve("saved_model.pb"), "pb");
    Path cache = tmp.resolve("cache");
    Path context = tmp.resolve("context");
    Files.createDirectories(context.resolve("stale"));

    Path taken = ImageContext.stage(new ImageContext.Sources(root, tmp.resolve("classes"),
        List.of(guava, tensorflow, otherGuava), tmp.resolve("repo"), cache), context);

    assertThat(taken).isEqualTo(tensorflow);
    assertThat(Files.readString(context.resolve("lib/classpath")).strip()).isEqualTo(
        "/opt/junction/classes:/opt/junction/lib/guava-33.jar:/opt/junction/lib/2-guava-33.jar");
    try (var files = Files.list(context.resolve("lib"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("classpath", "guava-33.jar", "2-guava-33.jar");
    }
    assertThat(Files.readString(context.resolve("tensorflow/libtensorflow_cc.so.2"))).isEqualTo("cc");
    assertThat(context.resolve("tensorflow/tensorflow.properties")).exists();
    assertThat(context.resolve("tensorflow/LICENSE")).doesNotExist();
    assertThat(Files.readString(context.resolve("classes/io/junction/A.class"))).isEqualTo("a");
    assertThat(Files.readString(context.resolve("model-repository/featurizer/1/saved_model.pb"))).isEqualTo("pb");
    assertThat(context.resolve("bin/junction")).isExecutable();
    assertThat(context.resolve("bin/junction-worker")).isExecutable();
    assertThat(context.resolve("bin/common.sh")).exists();
    assertThat(context.resolve("Dockerfile")).hasContent("FROM x");
    assertThat(context.resolve("stale")).as("the context is emptied first").doesNotExist();
    // extracted once, into the cache, named by the jar
    assertThat(cache.resolve("tensorflow-native-cpu-2.10.1-linux-x86_64/.complete")).exists();
  }

  @Test
  void aClassPathWithoutTheTensorFlowJarIsRefused() throws IOException {
    Path guava = jar(tmp.resolve("guava.jar"), "x/Y.class", "y");
    assertThatThrownBy(() -> ImageContext.stage(new ImageContext.Sources(sourceTree(), tmp, List.of(guava),
        tmp, tmp.resolve("cache")), tmp.resolve("context")))
        .hasMessageContaining("the class path has no tensorflow-native-*.jar");
  }

  @Test
  void defaultTagIsTheChartsAppVersion() throws IOException {
    assertThat(ImagesCommand.chartAppVersion(Path.of("..").toAbsolutePath().normalize()))
        .as("helm/junction/Chart.yaml of this tree").matches("\\d+\\.\\d+\\.\\d+.*");
    Path root = sourceTree();
    Files.writeString(Files.createDirectories(root.resolve("helm/junction")).resolve("Chart.yaml"),
        "apiVersion: v2\nversion: 0.2.0\nappVersion: \"1.4.2\"\n");
    assertThat(ImagesCommand.chartAppVersion(root)).isEqualTo("1.4.2");
  }

  @Test
  void buildRefusesWhenJunctionIsNotBuilt() {
    String saved = System.clearProperty("junction.worker.classpath");
    try {
      CommandLine cl = JunctionCli.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err, true));
      cl.setOut(new PrintWriter(new StringWriter(), true));
      assertThat(cl.execute("images", "build", "--tag", "t:1")).isEqualTo(JunctionCli.FAILED);
      assertThat(err.toString()).startsWith("error: Junction is not built").contains("mvn -B -DskipTests install");
    } finally {
      if (saved != null) {
        System.setProperty("junction.worker.classpath", saved);
      }
    }
  }

  private Path sourceTree() throws IOException {
    Path root = tmp.resolve("src");
    Path bin = Files.createDirectories(root.resolve("bin"));
    for (String script : List.of("junction", "junction-worker", "common.sh")) {
      Path p = Files.writeString(bin.resolve(script), "#!/bin/sh\n");
      p.toFile().setExecutable(true);
    }
    Files.writeString(Files.createDirectories(root.resolve("docker")).resolve("Dockerfile"), "FROM x");
    return root;
  }

  /** A jar with these entries (name, content, name, content...). */
  private static Path jar(Path path, String... entries) throws IOException {
    Files.createDirectories(path.getParent());
    try (OutputStream out = Files.newOutputStream(path); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (int i = 0; i < entries.length; i += 2) {
        zip.putNextEntry(new ZipEntry(entries[i]));
        zip.write(entries[i + 1].getBytes());
        zip.closeEntry();
      }
    }
    return path;
  }
}
