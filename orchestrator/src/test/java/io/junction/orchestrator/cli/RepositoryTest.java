package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RepositoryTest {

  @Test
  void propertyThenEnvironmentThenTheBuildsFolder() {
    Map<String, String> props = Map.of("junction.repository", "/p");
    Map<String, String> env = Map.of("JUNCTION_REPOSITORY", "/e");
    assertThat(Repository.resolve(props::get, env::get)).isEqualTo(Path.of("/p"));
    assertThat(Repository.resolve(k -> null, env::get)).isEqualTo(Path.of("/e"));
    assertThat(Repository.resolve(k -> null, k -> "")).isEqualTo(Path.of("models/target/model-repository"));
  }
}
