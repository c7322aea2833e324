package io.junction.workers.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model repository on disk: one folder per model, each with a {@code model.yaml}. Lists the
 * models and reads their contracts; reads the disk on every call, so a model the kit adds later
 * can be loaded without a restart. Loads nothing into TensorFlow.
 *
 * <p>It also says where a model's files go ({@link #modelDir}, {@link #versionDir}), the one
 * statement of the layout that the model kit writes by; writing a contract is
 * {@link ModelConfig#write()}.
 */
public final class ModelRepository {
  private final Path root;

  private ModelRepository(Path root) {
    this.root = root;
  }

  /** Opens a repository folder; fails when it is not a readable folder. */
  public static ModelRepository open(Path root) {
    Path abs = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(abs)) {
      throw new ModelConfigException(abs, "repository: not a folder (expected: a model repository, one folder per model)");
    }
    return new ModelRepository(abs);
  }

  public Path root() {
    return root;
  }

  /** Names of the models: the sub-folders that hold a {@code model.yaml}, sorted. */
  public List<String> modelNames() {
    try (Stream<Path> children = Files.list(root)) {
      return children
          .filter(p -> Files.isRegularFile(p.resolve(ModelConfig.FILE_NAME)))
          .map(p -> p.getFileName().toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("listing the model repository " + root, e);
    }
  }

  public boolean contains(String model) {
    return isPlainName(model) && Files.isRegularFile(modelYaml(model));
  }

  /**
   * The folder of {@code model}: {@code <root>/<model>}. It need not exist yet.
   *
   * @throws IllegalArgumentException when {@code model} is not a plain folder name
   */
  public Path modelDir(String model) {
    if (!isPlainName(model)) {
      throw new IllegalArgumentException("model: \"" + model + "\" (expected: a folder name, not a path)");
    }
    return root.resolve(model);
  }

  /** The contract of {@code model}: {@code <root>/<model>/model.yaml}. It need not exist yet. */
  public Path modelYaml(String model) {
    return modelDir(model).resolve(ModelConfig.FILE_NAME);
  }

  /** The SavedModel folder of one version: {@code <root>/<model>/<version>}. It need not exist yet. */
  public Path versionDir(String model, long version) {
    return modelDir(model).resolve(Long.toString(version));
  }

  /**
   * Reads and validates one model's contract.
   *
   * @throws UnknownModelException when the repository has no such model
   * @throws ModelConfigException when its model.yaml or version folder is wrong
   */
  public ModelConfig resolve(String model) {
    if (!contains(model)) {
      throw new UnknownModelException(model, "in the repository " + root, modelNames());
    }
    return ModelConfig.read(modelYaml(model));
  }

  /** A folder name, never a path: a request must not reach outside the repository. */
  private static boolean isPlainName(String model) {
    return model != null && !model.isEmpty() && !model.equals(".") && !model.equals("..")
        && model.indexOf('/') < 0 && model.indexOf('\\') < 0 && model.indexOf('\0') < 0;
  }
}
