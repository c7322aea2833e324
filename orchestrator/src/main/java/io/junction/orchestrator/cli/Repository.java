package io.junction.orchestrator.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** Where the demo model repository is when the command line does not say. */
final class Repository {
  static final String PROPERTY = "junction.repository";
  static final String ENV = "JUNCTION_REPOSITORY";
  static final Path FALLBACK = Path.of("models", "target", "model-repository");

  private Repository() {}

  /** The system property {@value #PROPERTY}, else the environment's {@value #ENV}, else {@link #FALLBACK}. */
  static Path resolve(UnaryOperator<String> properties, UnaryOperator<String> environment) {
    String p = properties.apply(PROPERTY);
    if (p != null && !p.isBlank()) {
      return Path.of(p);
    }
    String e = environment.apply(ENV);
    if (e != null && !e.isBlank()) {
      return Path.of(e);
    }
    return FALLBACK;
  }

  static Path resolve() {
    return resolve(System::getProperty, System::getenv);
  }

  /** A repository the kit finished writing: kit.yaml is written last. */
  static boolean isBuilt(Path repository) {
    return Files.isRegularFile(repository.resolve("kit.yaml"));
  }
}
