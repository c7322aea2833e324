package io.junction.orchestrator.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.junction.workers.runtime.TensorFlowNatives;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "images", description = "Junction's container image (docker/Dockerfile, docs/kubernetes.md).",
    subcommands = ImagesCommand.Build.class)
final class ImagesCommand {
  /** The base bin/build-base-image makes: Debian bookworm and its OpenJDK 17 JRE, built here, pulled from nowhere. */
  static final String LOCAL_BASE = "junction.local/jre-base:bookworm";
  /** Labels every image this command builds, so that scripts and tests find (and remove) only their own. */
  static final String LABEL = "io.junction.image=junction";
  static final String ROOT_PROPERTY = "junction.root";

  @Command(name = "build", description = {
      "Build the image (orchestrator and worker, one image: /opt/junction/bin/junction and junction-worker) "
          + "from the current build and the demo model repository, with the engine DOCKER_HOST names.",
      "Progress goes to stdout (with --json: stderr, and the result to stdout as JSON)."})
  static final class Build implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--base", paramLabel = "IMAGE", description = "Base image with a Java 17 runtime and bash, "
        + "such as eclipse-temurin:17-jre (default: " + LOCAL_BASE + ", which bin/build-base-image builds).")
    String base;

    @Option(names = "--tag", paramLabel = "TAG",
        description = "Image name and tag (default: junction:<appVersion of helm/junction/Chart.yaml>, the chart's default image).")
    String tag;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter progress = json ? spec.commandLine().getErr() : out;
      long start = System.nanoTime();
      Path root = Path.of(System.getProperty(ROOT_PROPERTY, ".")).toAbsolutePath().normalize();
      String image = tag != null ? tag : "junction:" + chartAppVersion(root);
      ImageContext.Sources sources = sources(root);
      String engine = Docker.requireEngine();
      String from = base != null ? base : localBase();
      Path context = root.resolve("target/image-context");
      step(progress, start, "staging the build context in " + context);
      Path tensorflowJar = ImageContext.stage(sources, context);
      step(progress, start, "TensorFlow native library extracted from " + tensorflowJar.getFileName());
      step(progress, start, "docker build (engine " + engine + ") of " + image + " from " + from);
      List<String> args = new ArrayList<>(List.of("build", "--build-arg", "BASE_IMAGE=" + from, "--label", LABEL,
          "--label", "io.junction.base=" + from, "-t", image, context.toString()));
      Docker.Result r = Docker.run(args, line -> {
        progress.println("    " + line);
        progress.flush();
      });
      if (r.exitCode() != 0) {
        throw new IllegalStateException("docker build of " + image + " failed (exit code " + r.exitCode()
            + "; its output is above)");
      }
      // the image this tag named before is left untagged: remove such leftovers, only this command's own
      Docker.run(List.of("image", "prune", "--force", "--filter", "label=" + LABEL), line -> {});
      String[] idAndSize = Docker.inspectImage(image, "{{.Id}} {{.Size}}")
          .orElseThrow(() -> new IllegalStateException("docker build said it built " + image + ", but the engine has no such image"))
          .split(" ");
      double seconds = (System.nanoTime() - start) / 1e9;
      if (json) {
        JsonObject o = new JsonObject();
        o.addProperty("image", image);
        o.addProperty("id", idAndSize[0]);
        o.addProperty("size_bytes", Long.parseLong(idAndSize[1]));
        o.addProperty("base", from);
        o.addProperty("seconds", Math.round(seconds * 10) / 10.0);
        out.println(new GsonBuilder().setPrettyPrinting().create().toJson(o));
      } else {
        out.printf(Locale.ROOT, "built %s (%s, %d MB) from %s in %.1f s%n", image, idAndSize[0],
            Long.parseLong(idAndSize[1]) / 1_000_000, from, seconds);
      }
      out.flush();
      return 0;
    }

    private static void step(PrintWriter w, long start, String line) {
      w.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - start) / 1e9, line);
      w.flush();
    }

    private String localBase() {
      if (Docker.inspectImage(LOCAL_BASE, "{{.Id}}").isEmpty()) {
        throw new IllegalStateException("no base image: " + LOCAL_BASE + " is not in the engine (build it with: "
            + "bin/build-base-image, or pass --base IMAGE, a Java 17 runtime image such as eclipse-temurin:17-jre)");
      }
      return LOCAL_BASE;
    }
  }

  /** What bin/junction runs: its class path (classes first) and model repository, both built. */
  static ImageContext.Sources sources(Path root) {
    String classpath = System.getProperty("junction.worker.classpath", "");
    List<Path> entries = Arrays.stream(classpath.split(":")).filter(s -> !s.isBlank()).map(Path::of).toList();
    if (entries.isEmpty() || !Files.isDirectory(entries.get(0))) {
      throw new IllegalStateException("Junction is not built (no class path from bin/junction; expected: "
          + "orchestrator/target/classes and classpath.txt; build with: mvn -B -DskipTests install)");
    }
    Path repository = Repository.resolve().toAbsolutePath();
    if (!Repository.isBuilt(repository)) {
      throw new IllegalStateException("the model repository " + repository + " is not built (expected: kit.yaml in it; "
          + "build it with: bin/junction models build, or mvn -B -DskipTests install)");
    }
    return new ImageContext.Sources(root, entries.get(0), entries.subList(1, entries.size()), repository,
        TensorFlowNatives.cacheRoot().resolve("images"));
  }

  private static final Pattern APP_VERSION = Pattern.compile("(?m)^appVersion:\\s*\"?([^\"\\s]+)\"?\\s*$");

  /** The chart's appVersion: its default image tag, so that the chart finds the image this builds. */
  static String chartAppVersion(Path root) throws IOException {
    Path chart = root.resolve("helm/junction/Chart.yaml");
    if (!Files.isRegularFile(chart)) {
      throw new IllegalStateException("no " + chart + " (expected: the source tree, -Djunction.root, which bin/junction sets)");
    }
    Matcher m = APP_VERSION.matcher(Files.readString(chart));
    if (!m.find()) {
      throw new IllegalStateException(chart + ": no appVersion (expected: appVersion: \"X.Y.Z\")");
    }
    return m.group(1);
  }
}
