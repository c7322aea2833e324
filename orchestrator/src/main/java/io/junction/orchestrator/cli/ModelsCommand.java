package io.junction.orchestrator.cli;

import io.junction.models.KitReport;
import io.junction.models.ModelKit;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "models", description = "The demo model repository.", subcommands = ModelsCommand.Build.class)
final class ModelsCommand {

  @Command(name = "build", description = "Build the demo models (deterministic) and print their quality report.")
  static final class Build implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR",
        description = "Where to write the repository (default: -Djunction.repository, else $JUNCTION_REPOSITORY, else models/target/model-repository).")
    Path out;

    @Override
    public Integer call() {
      Path dir = out != null ? out : Repository.resolve();
      PrintWriter w = spec.commandLine().getOut();
      KitReport report = build(dir, w);
      w.println(report.summary());
      w.flush();
      return 0;
    }
  }

  /** Builds the repository, printing each stage with the time since the start. */
  static KitReport build(Path dir, PrintWriter w) {
    long start = System.nanoTime();
    KitReport report = ModelKit.build(dir.toAbsolutePath(), line -> {
      w.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - start) / 1e9, line);
      w.flush();
    });
    w.printf(Locale.ROOT, "built in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return report;
  }
}
