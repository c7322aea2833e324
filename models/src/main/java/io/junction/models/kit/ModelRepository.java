package io.junction.models.kit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The folder layout of a model repository: {@code <root>/<model>/model.yaml} and
 * {@code <root>/<model>/<version>/} holding the SavedModel.
 *
 * <p>It only ever deletes the folder of a model it is about to write again, never the root, so
 * pointing the kit at a folder that holds other things does not lose them.
 */
public final class ModelRepository {
  public static final int VERSION = 1;

  private final Path root;

  public ModelRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  public Path modelDir(String model) {
    return root.resolve(model);
  }

  public Path versionDir(String model) {
    return modelDir(model).resolve(Integer.toString(VERSION));
  }

  public Path modelYaml(String model) {
    return modelDir(model).resolve("model.yaml");
  }

  public Path kitYaml() {
    return root.resolve("kit.yaml");
  }

  /** Removes what an earlier build left for {@code model}, so the exporter starts from nothing. */
  public void clear(String model) {
    deleteTree(modelDir(model));
  }

  public void writeContract(ModelContract contract) {
    writeString(modelYaml(contract.name()), contract.toYaml());
  }

  public static void writeString(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file, e);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("deleting " + dir, e);
    }
  }
}
